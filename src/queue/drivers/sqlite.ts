import Database from 'better-sqlite3';
import type { AcceptOutcome, NewEvent, Statement } from '../store.ts';
import { storedCanonical } from '../fingerprint.ts';
import type { SqlRunner, StatementResult } from './holds.ts';
import { outboxMethods, type OutboxOptions, type SqlStore } from './outbox.ts';
import { RecentPayloads } from './recent-payloads.ts';
import { SQL } from './sql.ts';

/** A schema change: a file of migrations/, applied once, in name order. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

export interface SqliteOptions extends OutboxOptions {
  /** The schema, as migrations/ holds it (src/node/migrations.ts reads them). */
  migrations: readonly Migration[];
  /** fsync every commit: survives power loss, not only a crash of the process. */
  fsync?: boolean;
  /** Shared with the other connections of this process that write (src/node/write-lock.ts). */
  writeLock?: { hold<T>(fn: () => T): T };
  /**
   * Who copies the WAL into the database file. By default a commit that makes the WAL longer than
   * 1000 pages does, with the write lock held: every writer waits meanwhile, tens of milliseconds
   * on some disks. `everyMs`: this connection does, on a timer, while the others go on writing,
   * and makes the WAL start over once it is `restartAfterFrames` pages long (default 8192: 32 MiB);
   * `elsewhere`: another connection of the process does.
   */
  checkpoints?: { everyMs: number; restartAfterFrames?: number } | 'elsewhere';
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

/**
 * WAL frames (pages) past which a checkpoint makes sure the WAL starts over: 32 MiB, about a
 * second of the heaviest load measured.
 */
const RESTART_WAL_FRAMES = 8192;
const PAGE_BYTES = 4096;

/**
 * Copies the WAL into the database file without holding up writers. A checkpoint that copies
 * everything lets the next commit start the WAL over; under steady writes one never does, so once
 * the WAL is long, a second one copies, holding the write lock, what was written meanwhile. Rarely:
 * with synchronous=NORMAL every checkpoint waits for the disk twice, and the intake for the lock.
 */
function checkpoint(db: Database.Database, locked: <T>(fn: () => T) => T, restartAfterFrames: number): void {
  try {
    const [wal] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    if (wal && wal.log > restartAfterFrames) locked(() => db.pragma('wal_checkpoint(PASSIVE)'));
  } catch {
    // Tried again at the next tick; meanwhile the WAL keeps every commit, as it does between ticks.
  }
}

/** SQLite's names for `PRAGMA synchronous` values. */
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export interface SqliteStore extends SqlStore {
  /** What the connection does at a commit, read back from SQLite: NORMAL, or FULL with `fsync`. */
  readonly synchronous: (typeof SYNCHRONOUS)[number];
}

/** The store on an embedded SQLite file (WAL): one writer, this process; readers may be CLI commands. */
export function sqliteStore(file: string, options: SqliteOptions): SqliteStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL: a commit is in the WAL before we answer, so a killed process loses nothing; FULL also
  // waits for the disk, for power loss.
  db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite's own default (2 MiB); better-sqlite3 builds it with 16 MiB a connection, and the server
  // has two. What is hot (the ends of the tables and indexes) fits.
  db.pragma('cache_size = -2000');
  // The WAL starts over once a checkpoint copied all of it; this gives the disk back after a burst
  // made it longer than the checkpoints let it grow.
  const restartAfterFrames = (typeof options.checkpoints === 'object' && options.checkpoints.restartAfterFrames) || RESTART_WAL_FRAMES;
  db.pragma(`journal_size_limit = ${restartAfterFrames * PAGE_BYTES}`);
  const locked = options.writeLock ? options.writeLock.hold.bind(options.writeLock) : <T>(fn: () => T) => fn();
  if (options.checkpoints) db.pragma('wal_autocheckpoint = 0');
  const checkpointing = typeof options.checkpoints === 'object' ? setInterval(() => checkpoint(db, locked, restartAfterFrames), options.checkpoints.everyMs) : undefined;
  checkpointing?.unref();
  locked(() => {
    migrate(db, options.migrations);
    // Found in memory instead (recent-payloads.ts); D1 keeps the index, where a lookup costs rows read.
    db.exec('DROP INDEX IF EXISTS events_fingerprint');
  });

  const q = {
    recent: db.prepare<[number], { fingerprint: string; received_at: number }>(SQL.recentFingerprints),
    sameFingerprint: db.prepare<[number, string], { id: string; payload: string }>(SQL.sameFingerprintAt),
    insertEvent: db.prepare(SQL.insertEvent),
  };
  const recent = new RecentPayloads((since) => q.recent.iterate(since));

  function findDuplicate(e: NewEvent, since: number): string | undefined {
    for (const at of recent.candidates(e.fingerprint, since)) {
      for (const row of q.sameFingerprint.all(at, e.fingerprint)) {
        if (storedCanonical(row.payload) === e.canonical) return row.id;
      }
    }
    return undefined;
  }

  // Every write transaction here begins IMMEDIATE, taking the write lock first. One that reads
  // first (the first accept loads the idempotency window) and then writes must upgrade its read
  // lock, and SQLite answers that at once with "database is locked" while another program holds
  // the write lock, without waiting busy_timeout: the first event after a start was refused when
  // a backup held the lock for a moment.
  const acceptTx = db.transaction((events: readonly NewEvent[], windowMs: number): AcceptOutcome[] =>
    events.map((e) => {
      const duplicateOf = windowMs > 0 ? findDuplicate(e, e.receivedAt - windowMs) : undefined;
      // A duplicate is never routed: mark it so, and the routing stage passes it by.
      q.insertEvent.run(e.id, e.eventId, e.objectId, e.receivedAt, e.raw, e.fingerprint, duplicateOf ?? null, duplicateOf ? e.receivedAt : null);
      if (duplicateOf) return { duplicateOf };
      if (windowMs > 0) recent.add(e.fingerprint, e.receivedAt);
      return {};
    }),
  );

  return {
    ...outboxMethods(sqliteRunner(db, locked), options),
    synchronous: SYNCHRONOUS[db.pragma('synchronous', { simple: true }) as number] ?? 'OFF',
    async accept(events, windowMs) {
      return locked(() => acceptTx.immediate(events, windowMs));
    },
    async close() {
      clearInterval(checkpointing);
      db.close();
    },
  };
}

/** The shared SQL's runner on better-sqlite3: statements prepared once, a batch in one transaction. */
function sqliteRunner(db: Database.Database, locked: <T>(fn: () => T) => T): SqlRunner {
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
      const st = prepare(sql);
      // Readers never wait: WAL lets them read while another connection writes.
      return (st.readonly ? st.all(...params) : locked(() => st.all(...params))) as T[];
    },
    async batch(statements) {
      return locked(() => batch.immediate(statements));
    },
  };
}
