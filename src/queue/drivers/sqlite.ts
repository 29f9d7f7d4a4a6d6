import Database from 'better-sqlite3';
import type {
  AcceptOutcome,
  AttemptRecord,
  DeliveryDetail,
  DueDelivery,
  EventFilter,
  EventStatus,
  EventSummary,
  Explanation,
  NewEvent,
  Routing,
  Store,
} from '../store.ts';
import { parseEnvelope } from '../../events/envelope.ts';
import { canonicalJson } from '../fingerprint.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id           TEXT PRIMARY KEY,
  events_id    TEXT NOT NULL,
  object_id    TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  payload      TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  duplicate_of TEXT,
  -- Set when the event has been routed: the rules that matched and why the others did not.
  routed_at    INTEGER,
  plan         TEXT,
  -- What was fetched from the VCS CoreAPI while routing, and why anything was not (JSON list).
  enrichment   TEXT
);
CREATE INDEX IF NOT EXISTS events_unrouted ON events (received_at) WHERE routed_at IS NULL;
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE INDEX IF NOT EXISTS events_fingerprint ON events (fingerprint, received_at);
CREATE TABLE IF NOT EXISTS deliveries (
  id           INTEGER PRIMARY KEY,
  event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  rule         TEXT NOT NULL,
  destination  TEXT NOT NULL,
  type         TEXT NOT NULL,
  message      TEXT NOT NULL,
  render_error TEXT,
  status       TEXT NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  next_at      INTEGER NOT NULL,
  last_error   TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (destination, status, next_at);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  at           INTEGER NOT NULL,
  ok           INTEGER NOT NULL,
  detail       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id);
`;

/**
 * Brings a database file made by an earlier release up to date. Each step checks for itself, so it
 * is safe to run on every open, and by two processes at once (the server and a CLI command).
 */
function migrate(db: Database.Database): void {
  const columns = new Set(db.prepare<[], { name: string }>('SELECT name FROM pragma_table_info(\'events\')').all().map((c) => c.name));
  if (!columns.has('enrichment')) {
    try {
      db.exec('ALTER TABLE events ADD COLUMN enrichment TEXT');
    } catch (e) {
      // Another process added it between the check and now.
      if (!/duplicate column/i.test((e as Error).message)) throw e;
    }
  }
}

// An event's status, from its deliveries; one expression shared by listing and explaining. Named
// event_status because `status` alone would mean deliveries.status inside HAVING.
const STATUS_SQL = `CASE
  WHEN e.duplicate_of IS NOT NULL THEN 'duplicate'
  WHEN e.routed_at IS NULL THEN 'received'
  WHEN COUNT(d.id) = 0 THEN 'unrouted'
  WHEN SUM(d.status = 'dead') > 0 THEN 'dead'
  WHEN SUM(d.status = 'pending' AND d.attempts > 0) > 0 THEN 'failed'
  WHEN SUM(d.status = 'pending') > 0 THEN 'pending'
  ELSE 'delivered' END`;

const SUMMARY_SQL = `SELECT e.id, e.events_id, e.object_id, e.received_at, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n
  FROM events e LEFT JOIN deliveries d ON d.event_id = e.id`;

interface SummaryRow {
  id: string;
  events_id: string;
  object_id: string;
  received_at: number;
  event_status: EventStatus;
  n: number;
}

const summary = (r: SummaryRow): EventSummary => ({
  id: r.id,
  eventId: r.events_id,
  objectId: r.object_id,
  receivedAt: r.received_at,
  status: r.event_status,
  deliveries: r.n,
});

export interface SqliteOptions {
  /** fsync every commit: survives power loss, not only a crash of the process. */
  fsync?: boolean;
}

/** The store on an embedded SQLite file (WAL): one writer, this process; readers may be CLI commands. */
export function sqliteStore(file: string, options: SqliteOptions = {}): Store {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL: a commit is in the WAL before we answer, so a killed process loses nothing; FULL also
  // waits for the disk, for power loss.
  db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  migrate(db);

  const q = {
    sameFingerprint: db.prepare<[string, number], { id: string; payload: string }>(
      'SELECT id, payload FROM events WHERE fingerprint = ? AND received_at >= ? AND duplicate_of IS NULL ORDER BY received_at',
    ),
    insertEvent: db.prepare(
      'INSERT INTO events (id, events_id, object_id, received_at, payload, fingerprint, duplicate_of, routed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertDelivery: db.prepare(
      `INSERT INTO deliveries (event_id, rule, destination, type, message, render_error, status, created_at, next_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    ),
    due: db.prepare<[string, number, number], { id: number; event_id: string; rule: string; destination: string; message: string; attempts: number; created_at: number }>(
      `SELECT id, event_id, rule, destination, message, attempts, created_at FROM deliveries
       WHERE destination = ? AND status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
    ),
    nextDue: db.prepare<[], { at: number | null }>(`SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'pending'`),
    insertAttempt: db.prepare('INSERT INTO attempts (delivery_id, at, ok, detail) VALUES (?, ?, ?, ?)'),
    updateDelivery: db.prepare(
      'UPDATE deliveries SET status = ?, attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?',
    ),
    unrouted: db.prepare<[number], { id: string; payload: string; received_at: number }>(
      'SELECT id, payload, received_at FROM events WHERE routed_at IS NULL ORDER BY received_at LIMIT ?',
    ),
    markRouted: db.prepare('UPDATE events SET routed_at = ?, plan = ?, enrichment = ? WHERE id = ?'),
    event: db.prepare<[string], SummaryRow & { payload: string; duplicate_of: string | null; plan: string | null; enrichment: string | null }>(
      `SELECT e.id, e.events_id, e.object_id, e.received_at, e.payload, e.duplicate_of, e.plan, e.enrichment, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n
       FROM events e LEFT JOIN deliveries d ON d.event_id = e.id WHERE e.id = ? GROUP BY e.id`,
    ),
    deliveriesOf: db.prepare<[string], { id: number; rule: string; destination: string; type: string; status: DeliveryDetail['status']; message: string; render_error: string | null; next_at: number; last_error: string | null }>(
      'SELECT * FROM deliveries WHERE event_id = ? ORDER BY id',
    ),
    attemptsOf: db.prepare<[number], { at: number; ok: number; detail: string }>('SELECT at, ok, detail FROM attempts WHERE delivery_id = ? ORDER BY at, rowid'),
    replay: db.prepare(
      `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?, next_at = ? WHERE event_id = ? AND (status = 'dead' OR (status = 'pending' AND attempts > 0))`,
    ),
    replayDead: db.prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?, next_at = ? WHERE status = 'dead'`),
    prune: db.prepare(
      `DELETE FROM events WHERE received_at < ? AND NOT EXISTS
         (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status IN ('pending', 'dead'))`,
    ),
    purgeDead: db.prepare(`DELETE FROM deliveries WHERE status = 'dead'`),
    purgeOrphans: db.prepare(
      `DELETE FROM events WHERE duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)
         AND json_extract(plan, '$.deliveries') > 0`,
    ),
  };

  // `canonical` is the canonical JSON of the validated envelope (event.dt, events_id, object_id and
  // data), not of the whole body. A stored row keeps only the raw body, so it is reduced the same
  // way before comparing: compared raw, a body with any other field (top-level or in `event`) never
  // equals its own repeat, and is delivered twice.
  const envelopeCanonical = (raw: string): string | undefined => {
    const parsed = parseEnvelope(raw);
    return parsed.ok ? canonicalJson(parsed.value) : undefined;
  };

  function findDuplicate(e: NewEvent, since: number, batch: Map<string, NewEvent[]>): string | undefined {
    for (const earlier of batch.get(e.fingerprint) ?? []) if (earlier.canonical === e.canonical) return earlier.id;
    for (const row of q.sameFingerprint.all(e.fingerprint, since)) {
      if (envelopeCanonical(row.payload) === e.canonical) return row.id;
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

  const routeTx = db.transaction((routings: readonly Routing[], now: number) => {
    for (const { id, receivedAt, plan, enrichment } of routings) {
      const summary = { matched: plan.matched, skipped: plan.skipped, deliveries: plan.deliveries.length };
      q.markRouted.run(now, JSON.stringify(summary), enrichment?.length ? JSON.stringify(enrichment) : null, id);
      // The maximum age counts from arrival: routing late does not buy a delivery more time.
      for (const d of plan.deliveries) {
        q.insertDelivery.run(id, d.rule, d.destination, d.type, JSON.stringify(d.message), d.renderError ?? null, receivedAt, now);
      }
    }
  });

  const recordTx = db.transaction((records: readonly AttemptRecord[]) => {
    for (const r of records) {
      q.insertAttempt.run(r.deliveryId, r.at, r.ok ? 1 : 0, r.detail);
      q.updateDelivery.run(r.status, r.nextAt ?? r.at, r.ok ? null : r.detail, r.deliveryId);
    }
  });

  const purgeTx = db.transaction(() => {
    const n = q.purgeDead.run().changes;
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
    async route(routings, now) {
      if (routings.length > 0) routeTx(routings, now);
    },
    async due(destination, now, limit, skip) {
      const rows = q.due.all(destination, now, limit + skip.size);
      return rows
        .filter((r) => !skip.has(r.id))
        .slice(0, limit)
        .map(
          (r): DueDelivery => ({
            id: r.id,
            eventId: r.event_id,
            rule: r.rule,
            destination: r.destination,
            message: JSON.parse(r.message),
            attempts: r.attempts,
            createdAt: r.created_at,
          }),
        );
    },
    async nextDue() {
      return q.nextDue.get()?.at ?? undefined;
    },
    async record(records) {
      if (records.length > 0) recordTx(records);
    },
    async events(filter: EventFilter) {
      const where = filter.since !== undefined ? 'WHERE e.received_at >= @since' : '';
      const having = filter.status ? 'HAVING event_status = @status' : '';
      const rows = db
        .prepare<Record<string, unknown>, SummaryRow>(`${SUMMARY_SQL} ${where} GROUP BY e.id ${having} ORDER BY e.received_at DESC, e.id DESC LIMIT @limit`)
        .all({ since: filter.since, status: filter.status, limit: filter.limit ?? 100 });
      return rows.map(summary);
    },
    async explain(id): Promise<Explanation | undefined> {
      const row = q.event.get(id);
      if (!row) return undefined;
      const plan = (row.plan ? JSON.parse(row.plan) : { matched: [], skipped: [] }) as { matched: string[]; skipped: Explanation['skipped'] };
      const deliveryDetails = q.deliveriesOf.all(id).map(
        (d): DeliveryDetail => ({
          id: d.id,
          rule: d.rule,
          destination: d.destination,
          type: d.type,
          status: d.status,
          message: JSON.parse(d.message),
          ...(d.render_error ? { renderError: d.render_error } : {}),
          attempts: q.attemptsOf.all(d.id).map((a) => ({ at: a.at, ok: a.ok === 1, detail: a.detail })),
          ...(d.status === 'pending' ? { nextAt: d.next_at } : {}),
          ...(d.last_error ? { lastError: d.last_error } : {}),
        }),
      );
      return {
        ...summary(row),
        payload: JSON.parse(row.payload),
        ...(row.duplicate_of ? { duplicateOf: row.duplicate_of } : {}),
        matched: plan.matched,
        skipped: plan.skipped,
        deliveryDetails,
        ...(row.enrichment ? { enrichment: JSON.parse(row.enrichment) as Explanation['enrichment'] } : {}),
      };
    },
    async replay(id, now) {
      if (!q.event.get(id)) return undefined;
      return q.replay.run(now, now, id).changes;
    },
    async replayDead(now) {
      return q.replayDead.run(now, now).changes;
    },
    async prune(before) {
      return q.prune.run(before).changes;
    },
    async purgeDead() {
      return purgeTx();
    },
    async close() {
      db.close();
    },
  };
}
