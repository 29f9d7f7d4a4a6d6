import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { storedCanonical } from '../fingerprint.ts';
import type { AcceptOutcome, Statement } from '../store.ts';
import type { SqlRunner } from './holds.ts';
import { outboxMethods, type OutboxOptions, type SqlStore } from './outbox.ts';
import { SQL } from './sql.ts';

/**
 * The store on Cloudflare D1: the same tables and queries as SQLite on Node. D1 has no interactive
 * transactions; what must be atomic goes in one `batch`.
 */
export function d1Store(db: D1Database, options: OutboxOptions = {}): SqlStore {
  const run = d1Runner(db);

  async function findDuplicate(fingerprint: string, canonical: string, since: number): Promise<string | undefined> {
    for (const row of await run.all<{ id: string; payload: string }>(SQL.sameFingerprint, [fingerprint, since])) {
      if (storedCanonical(row.payload) === canonical) return row.id;
    }
    return undefined;
  }

  // Two consumers may route the same event: the second one's transaction fails its guard
  // (ConflictError), and adds nothing.
  return {
    ...outboxMethods(run, options),
    async accept(events, windowMs) {
      const outcomes: AcceptOutcome[] = [];
      const inserts: Statement[] = [];
      const seen = new Map<string, string>();
      for (const e of events) {
        // Two isolates may take the same payload at the same moment; D1 cannot lock the check to
        // the insert, so both are then delivered. The window still stops every later repeat.
        const duplicateOf = windowMs > 0 ? (seen.get(e.canonical) ?? (await findDuplicate(e.fingerprint, e.canonical, e.receivedAt - windowMs))) : undefined;
        inserts.push({ sql: SQL.insertEvent, params: [e.id, e.eventId, e.objectId, e.receivedAt, e.raw, e.fingerprint, duplicateOf ?? null, duplicateOf ? e.receivedAt : null] });
        if (!duplicateOf) seen.set(e.canonical, e.id);
        outcomes.push(duplicateOf ? { duplicateOf } : {});
      }
      await run.batch(inserts);
      return outcomes;
    },
    async close() {},
  };
}

/** The shared SQL's runner on D1: a batch is one transaction there too. */
function d1Runner(db: D1Database): SqlRunner {
  return {
    async all<T>(sql: string, params: readonly unknown[]) {
      return (await db.prepare(sql).bind(...params).all<T>()).results;
    },
    async batch(statements) {
      if (statements.length === 0) return [];
      const results = await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params)));
      return results.map((r) => ({ changes: r.meta.changes ?? 0, lastRowId: r.meta.last_row_id ?? 0, rows: (r.results ?? []) as Record<string, unknown>[] }));
    },
  };
}
