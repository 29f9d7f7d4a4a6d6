import Database from 'better-sqlite3';
import type { AcceptOutcome, AttemptRecord, Explanation, NewEvent, Statement, Store } from '../store.ts';
import { storedCanonical } from '../fingerprint.ts';
import { holdMethods, type SqlRunner, type StatementResult } from './holds.ts';
import { dueDelivery, explanation, summary, type AttemptRow, type DeliveryRow, type DueRow, type EventRow, type SummaryRow } from './rows.ts';
import { eventsQuery, SQL } from './sql.ts';

/** A schema change: a file of migrations/, applied once, in name order. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

export interface SqliteOptions {
  /** The schema, as migrations/ holds it (src/node/migrations.ts reads them). */
  migrations: readonly Migration[];
  /** fsync every commit: survives power loss, not only a crash of the process. */
  fsync?: boolean;
}

/**
 * Applies the migrations not yet applied, recorded in the table wrangler keeps for D1, so one
 * folder of migrations serves both runtimes.
 */
function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`);
  const applied = db.prepare<[], string>('SELECT name FROM d1_migrations').pluck();
  const record = db.prepare('INSERT INTO d1_migrations (name) VALUES (?)');
  // IMMEDIATE: the server and a CLI command may open the file at the same moment; one applies.
  db.transaction(() => {
    const done = new Set(applied.all());
    for (const m of [...migrations].sort((x, y) => x.name.localeCompare(y.name))) {
      if (done.has(m.name)) continue;
      db.exec(m.sql);
      record.run(m.name);
    }
  }).immediate();
}

/** The store on an embedded SQLite file (WAL): one writer, this process; readers may be CLI commands. */
export function sqliteStore(file: string, options: SqliteOptions): Store {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL: a commit is in the WAL before we answer, so a killed process loses nothing; FULL also
  // waits for the disk, for power loss.
  db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, options.migrations);

  const q = {
    sameFingerprint: db.prepare<[string, number], { id: string; payload: string }>(SQL.sameFingerprint),
    insertEvent: db.prepare(SQL.insertEvent),
    due: db.prepare<[string, number, number], DueRow>(SQL.due),
    nextDue: db.prepare<[], { at: number | null }>(SQL.nextDue),
    pendingDestinations: db.prepare<[], string>(SQL.pendingDestinations).pluck(),
    insertAttempt: db.prepare(SQL.insertAttempt),
    updateDelivery: db.prepare(SQL.updateDelivery),
    unrouted: db.prepare<[number], { id: string; payload: string; received_at: number }>(SQL.unrouted),
    markRouted: db.prepare(SQL.markRouted),
    event: db.prepare<[string], EventRow>(SQL.event),
    deliveriesOf: db.prepare<[string], DeliveryRow>(SQL.deliveriesOf),
    attemptsOf: db.prepare<[number], AttemptRow>(SQL.attemptsOf),
    replay: db.prepare<[number, number, string], number>(SQL.replay).pluck(),
    replayDead: db.prepare<[number, number], number>(SQL.replayDead).pluck(),
    prune: db.prepare(SQL.prune).pluck(),
    purgeDead: db.prepare(SQL.purgeDead).pluck(),
    purgeOrphans: db.prepare(SQL.purgeOrphans),
  };

  function findDuplicate(e: NewEvent, since: number, batch: Map<string, NewEvent[]>): string | undefined {
    for (const earlier of batch.get(e.fingerprint) ?? []) if (earlier.canonical === e.canonical) return earlier.id;
    for (const row of q.sameFingerprint.all(e.fingerprint, since)) {
      if (storedCanonical(row.payload) === e.canonical) return row.id;
    }
    return undefined;
  }

  const acceptTx = db.transaction((events: readonly NewEvent[], windowMs: number): AcceptOutcome[] => {
    const batch = new Map<string, NewEvent[]>();
    return events.map((e) => {
      const duplicateOf = windowMs > 0 ? findDuplicate(e, e.receivedAt - windowMs, batch) : undefined;
      // A duplicate is never routed: mark it so, and the routing stage passes it by.
      q.insertEvent.run(e.id, e.eventId, e.objectId, e.receivedAt, e.raw, e.fingerprint, duplicateOf ?? null, duplicateOf ? e.receivedAt : null);
      if (duplicateOf) return { duplicateOf };
      batch.set(e.fingerprint, [...(batch.get(e.fingerprint) ?? []), e]);
      return {};
    });
  });

  const recordTx = db.transaction((records: readonly AttemptRecord[]) => {
    for (const r of records) {
      q.insertAttempt.run(r.deliveryId, r.at, r.ok ? 1 : 0, r.detail);
      q.updateDelivery.run(r.status, r.nextAt ?? r.at, r.ok ? null : r.detail, r.ref ?? null, r.deliveryId);
    }
  });

  const holds = holdMethods(sqliteRunner(db));

  const purgeTx = db.transaction(() => {
    const n = q.purgeDead.all().length;
    q.purgeOrphans.run();
    return n;
  });

  return {
    async accept(events, windowMs) {
      return acceptTx(events, windowMs);
    },
    async unrouted(limit) {
      return q.unrouted.all(limit).map((r) => ({ id: r.id, raw: r.payload, receivedAt: r.received_at }));
    },
    route: holds.route,
    holdState: holds.holdState,
    dueHolds: holds.dueHolds,
    groupItems: holds.groupItems,
    applyRelease: holds.applyRelease,
    nextHold: holds.nextHold,
    async due(destination, now, limit, skip) {
      const rows = q.due.all(destination, now, limit + skip.size);
      return rows
        .filter((r) => !skip.has(r.id))
        .slice(0, limit)
        .map(dueDelivery);
    },
    async nextDue() {
      return q.nextDue.get()?.at ?? undefined;
    },
    async pendingDestinations() {
      return q.pendingDestinations.all();
    },
    async record(records) {
      if (records.length > 0) recordTx(records);
    },
    async events(filter) {
      const { sql, params } = eventsQuery(filter);
      return db.prepare<unknown[], SummaryRow>(sql).all(...params).map(summary);
    },
    async explain(id): Promise<Explanation | undefined> {
      const row = q.event.get(id);
      return row && explanation(row, q.deliveriesOf.all(id), (d) => q.attemptsOf.all(d));
    },
    async replay(id, now) {
      if (!q.event.get(id)) return undefined;
      return q.replay.all(now, now, id);
    },
    async replayDead(now) {
      return q.replayDead.all(now, now);
    },
    async prune(before) {
      const n = q.prune.all(before).length;
      await holds.pruneHolds(before);
      return n;
    },
    async purgeDead() {
      return purgeTx();
    },
    async close() {
      db.close();
    },
  };
}

/** The shared SQL's runner on better-sqlite3: statements prepared once, a batch in one transaction. */
function sqliteRunner(db: Database.Database): SqlRunner {
  const prepared = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let st = prepared.get(sql);
    if (!st) {
      st = db.prepare(sql);
      prepared.set(sql, st);
    }
    return st;
  };
  const exec = (s: Statement): StatementResult => {
    const st = prepare(s.sql);
    if (st.reader) {
      const rows = st.all(...s.params) as Record<string, unknown>[];
      return { changes: rows.length, lastRowId: 0, rows };
    }
    const r = st.run(...s.params);
    return { changes: r.changes, lastRowId: Number(r.lastInsertRowid), rows: [] };
  };
  const batch = db.transaction((statements: readonly Statement[]) => statements.map(exec));
  return {
    async all<T>(sql: string, params: readonly unknown[]) {
      return prepare(sql).all(...params) as T[];
    },
    async batch(statements) {
      return batch(statements);
    },
  };
}
