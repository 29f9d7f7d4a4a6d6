import type { D1Database, D1PreparedStatement } from '@cloudflare/workers-types/index.ts';
import { storedCanonical } from '../fingerprint.ts';
import type { AcceptOutcome, DueDelivery, Store, UnroutedEvent } from '../store.ts';
import { holdMethods, type SqlRunner } from './holds.ts';
import { dueDelivery, explanation, summary, type AttemptRow, type DeliveryRow, type DueRow, type EventRow, type SummaryRow } from './rows.ts';
import { eventsQuery, SQL } from './sql.ts';

/** What the Workers build needs beyond the store every runtime has. */
export interface D1Store extends Store {
  /** A pending delivery due by `dueBy`, to send; undefined when it was sent, is dead, or waits for later. */
  delivery(id: number, dueBy: number): Promise<DueDelivery | undefined>;
  /** A committed event not yet routed. */
  unroutedEvent(id: string): Promise<UnroutedEvent | undefined>;
  /** Pending deliveries due before `before`, oldest first: for the sweep that re-queues lost messages. */
  overdue(before: number, limit: number): Promise<DueDelivery[]>;
  /** Pending deliveries that answer this one's message and waited for it to be sent. */
  replies(id: number): Promise<number[]>;
}

/**
 * The store on Cloudflare D1: the same tables and queries as SQLite on Node. D1 has no interactive
 * transactions; what must be atomic goes in one `batch`.
 */
export function d1Store(db: D1Database): D1Store {
  const all = async <T>(sql: string, ...params: unknown[]): Promise<T[]> => (await db.prepare(sql).bind(...params).all<T>()).results;
  const first = <T>(sql: string, ...params: unknown[]) => db.prepare(sql).bind(...params).first<T>();
  const stmt = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(...params);

  async function findDuplicate(fingerprint: string, canonical: string, since: number): Promise<string | undefined> {
    for (const row of await all<{ id: string; payload: string }>(SQL.sameFingerprint, fingerprint, since)) {
      if (storedCanonical(row.payload) === canonical) return row.id;
    }
    return undefined;
  }

  // Two consumers may route the same event: the second one's transaction fails its guard
  // (ConflictError), and adds nothing.
  const holds = holdMethods(d1Runner(db));

  return {
    async accept(events, windowMs) {
      const outcomes: AcceptOutcome[] = [];
      const inserts: D1PreparedStatement[] = [];
      const seen = new Map<string, string>();
      for (const e of events) {
        // Two isolates may take the same payload at the same moment; D1 cannot lock the check to
        // the insert, so both are then delivered. The window still stops every later repeat.
        const duplicateOf = windowMs > 0 ? (seen.get(e.canonical) ?? (await findDuplicate(e.fingerprint, e.canonical, e.receivedAt - windowMs))) : undefined;
        inserts.push(stmt(SQL.insertEvent, e.id, e.eventId, e.objectId, e.receivedAt, e.raw, e.fingerprint, duplicateOf ?? null, duplicateOf ? e.receivedAt : null));
        if (!duplicateOf) seen.set(e.canonical, e.id);
        outcomes.push(duplicateOf ? { duplicateOf } : {});
      }
      if (inserts.length > 0) await db.batch(inserts);
      return outcomes;
    },
    async unrouted(limit) {
      const rows = await all<{ id: string; payload: string; received_at: number }>(SQL.unrouted, limit);
      return rows.map((r) => ({ id: r.id, raw: r.payload, receivedAt: r.received_at }));
    },
    route: holds.route,
    holdState: holds.holdState,
    dueHolds: holds.dueHolds,
    groupItems: holds.groupItems,
    applyRelease: holds.applyRelease,
    nextHold: holds.nextHold,
    async due(destination, now, limit, skip) {
      const rows = await all<DueRow>(SQL.due, destination, now, limit + skip.size);
      return rows.filter((r) => !skip.has(r.id)).slice(0, limit).map(dueDelivery);
    },
    async unroutedEvent(id) {
      const row = await first<{ id: string; payload: string; received_at: number }>(SQL.unroutedEvent, id);
      return row ? { id: row.id, raw: row.payload, receivedAt: row.received_at } : undefined;
    },
    async delivery(id, dueBy) {
      const row = await first<DueRow>(SQL.delivery, id, dueBy);
      return row ? dueDelivery(row) : undefined;
    },
    async replies(id) {
      return (await all<{ id: number }>(SQL.replies, id)).map((r) => r.id);
    },
    async overdue(before, limit) {
      return (await all<DueRow>(SQL.overdue, before, limit)).map(dueDelivery);
    },
    async pendingDestinations() {
      return (await all<{ destination: string }>(SQL.pendingDestinations)).map((r) => r.destination);
    },
    async nextDue() {
      return (await first<{ at: number | null }>(SQL.nextDue))?.at ?? undefined;
    },
    async record(records) {
      const statements = records.flatMap((r) => [
        stmt(SQL.insertAttempt, r.deliveryId, r.at, r.ok ? 1 : 0, r.detail),
        stmt(SQL.updateDelivery, r.status, r.nextAt ?? r.at, r.ok ? null : r.detail, r.ref ?? null, r.deliveryId),
      ]);
      if (statements.length > 0) await db.batch(statements);
    },
    async events(filter) {
      const { sql, params } = eventsQuery(filter);
      return (await all<SummaryRow>(sql, ...params)).map(summary);
    },
    async explain(id) {
      const row = await first<EventRow>(SQL.event, id);
      if (!row) return undefined;
      const deliveries = await all<DeliveryRow>(SQL.deliveriesOf, id);
      const attempts = new Map<number, AttemptRow[]>();
      for (const d of deliveries) attempts.set(d.id, await all<AttemptRow>(SQL.attemptsOf, d.id));
      return explanation(row, deliveries, (d) => attempts.get(d) ?? []);
    },
    async replay(id, now) {
      if (!(await first(SQL.event, id))) return undefined;
      return (await all<{ id: number }>(SQL.replay, now, now, id)).map((r) => r.id);
    },
    async replayDead(now) {
      return (await all<{ id: number }>(SQL.replayDead, now, now)).map((r) => r.id);
    },
    async prune(before) {
      const n = (await all(SQL.prune, before)).length;
      await holds.pruneHolds(before);
      return n;
    },
    async purgeDead() {
      const [purged] = await db.batch([stmt(SQL.purgeDead), stmt(SQL.purgeOrphans)]);
      return purged?.results.length ?? 0;
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
