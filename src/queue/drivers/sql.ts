/**
 * The outbox's SQL, shared by the SQLite driver (Node) and the D1 driver (Workers): the same tables
 * (migrations/), the same queries, the same rows turned into the same objects.
 */
import type { DeliveryDetail, DueDelivery, EventFilter, EventStatus, EventSummary, Explanation } from '../store.ts';

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

/** Every statement, with positional parameters. */
export const SQL = {
  sameFingerprint:
    'SELECT id, payload FROM events WHERE fingerprint = ? AND received_at >= ? AND duplicate_of IS NULL ORDER BY received_at',
  insertEvent:
    'INSERT INTO events (id, events_id, object_id, received_at, payload, fingerprint, duplicate_of, routed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  insertDelivery: `INSERT INTO deliveries (event_id, rule, destination, type, message, render_error, status, created_at, next_at)
    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
  // Where two consumers may route the same event (Workers), only the first one's deliveries count.
  insertDeliveryIfUnrouted: `INSERT INTO deliveries (event_id, rule, destination, type, message, render_error, status, created_at, next_at)
    SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?1 AND routed_at IS NULL)`,
  due: `SELECT id, event_id, rule, destination, message, attempts, created_at FROM deliveries
    WHERE destination = ? AND status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
  overdue: `SELECT id, event_id, rule, destination, message, attempts, created_at FROM deliveries
    WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
  delivery: `SELECT id, event_id, rule, destination, message, attempts, created_at FROM deliveries
    WHERE id = ? AND status = 'pending' AND next_at <= ?`,
  unroutedEvent: 'SELECT id, payload, received_at FROM events WHERE id = ? AND routed_at IS NULL',
  nextDue: `SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'pending'`,
  pendingDestinations: `SELECT DISTINCT destination FROM deliveries WHERE status = 'pending'`,
  insertAttempt: 'INSERT INTO attempts (delivery_id, at, ok, detail) VALUES (?, ?, ?, ?)',
  updateDelivery: 'UPDATE deliveries SET status = ?, attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?',
  unrouted: 'SELECT id, payload, received_at FROM events WHERE routed_at IS NULL ORDER BY received_at LIMIT ?',
  markRouted: 'UPDATE events SET routed_at = ?, plan = ?, enrichment = ? WHERE id = ? AND routed_at IS NULL',
  event: `SELECT e.id, e.events_id, e.object_id, e.received_at, e.payload, e.duplicate_of, e.plan, e.enrichment, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n
    FROM events e LEFT JOIN deliveries d ON d.event_id = e.id WHERE e.id = ? GROUP BY e.id`,
  deliveriesOf: 'SELECT * FROM deliveries WHERE event_id = ? ORDER BY id',
  attemptsOf: 'SELECT at, ok, detail FROM attempts WHERE delivery_id = ? ORDER BY at, rowid',
  replay: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?, next_at = ?
    WHERE event_id = ? AND (status = 'dead' OR (status = 'pending' AND attempts > 0)) RETURNING id`,
  replayDead: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?, next_at = ? WHERE status = 'dead' RETURNING id`,
  // RETURNING to count: D1's change count includes the rows a cascade deletes, SQLite's does not.
  prune: `DELETE FROM events WHERE received_at < ? AND NOT EXISTS
    (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status IN ('pending', 'dead')) RETURNING id`,
  purgeDead: `DELETE FROM deliveries WHERE status = 'dead' RETURNING id`,
  purgeOrphans: `DELETE FROM events WHERE duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)
    AND json_extract(plan, '$.deliveries') > 0`,
} as const;

/** `events` with its filter, as SQL and its positional parameters. */
export function eventsQuery(filter: EventFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let where = '';
  if (filter.since !== undefined) {
    where = 'WHERE e.received_at >= ?';
    params.push(filter.since);
  }
  let having = '';
  if (filter.status) {
    having = 'HAVING event_status = ?';
    params.push(filter.status);
  }
  params.push(filter.limit ?? 100);
  return { sql: `${SUMMARY_SQL} ${where} GROUP BY e.id ${having} ORDER BY e.received_at DESC, e.id DESC LIMIT ?`, params };
}

export interface SummaryRow {
  id: string;
  events_id: string;
  object_id: string;
  received_at: number;
  event_status: EventStatus;
  n: number;
}

export type EventRow = SummaryRow & { payload: string; duplicate_of: string | null; plan: string | null; enrichment: string | null };

export interface DeliveryRow {
  id: number;
  rule: string;
  destination: string;
  type: string;
  status: DeliveryDetail['status'];
  message: string;
  render_error: string | null;
  next_at: number;
  last_error: string | null;
}

export interface DueRow {
  id: number;
  event_id: string;
  rule: string;
  destination: string;
  message: string;
  attempts: number;
  created_at: number;
}

export interface AttemptRow {
  at: number;
  ok: number;
  detail: string;
}

export const summary = (r: SummaryRow): EventSummary => ({
  id: r.id,
  eventId: r.events_id,
  objectId: r.object_id,
  receivedAt: r.received_at,
  status: r.event_status,
  deliveries: r.n,
});

export const dueDelivery = (r: DueRow): DueDelivery => ({
  id: r.id,
  eventId: r.event_id,
  rule: r.rule,
  destination: r.destination,
  message: JSON.parse(r.message),
  attempts: r.attempts,
  createdAt: r.created_at,
});

/** What a routing decision stores with its event: the rules that matched and why the others did not. */
export const planSummary = (plan: { matched: readonly string[]; skipped: readonly unknown[]; deliveries: readonly unknown[] }): string =>
  JSON.stringify({ matched: plan.matched, skipped: plan.skipped, deliveries: plan.deliveries.length });

/** An event's row, its deliveries' rows and their attempts' rows, as `explain` shows them. */
export function explanation(row: EventRow, deliveries: readonly DeliveryRow[], attemptsOf: (id: number) => readonly AttemptRow[]): Explanation {
  const plan = (row.plan ? JSON.parse(row.plan) : { matched: [], skipped: [] }) as { matched: string[]; skipped: Explanation['skipped'] };
  return {
    ...summary(row),
    payload: JSON.parse(row.payload),
    ...(row.duplicate_of ? { duplicateOf: row.duplicate_of } : {}),
    ...(row.enrichment ? { enrichment: JSON.parse(row.enrichment) as Explanation['enrichment'] } : {}),
    matched: plan.matched,
    skipped: plan.skipped,
    deliveryDetails: deliveries.map(
      (d): DeliveryDetail => ({
        id: d.id,
        rule: d.rule,
        destination: d.destination,
        type: d.type,
        status: d.status,
        message: JSON.parse(d.message),
        ...(d.render_error ? { renderError: d.render_error } : {}),
        attempts: attemptsOf(d.id).map((a) => ({ at: a.at, ok: a.ok === 1, detail: a.detail })),
        ...(d.status === 'pending' ? { nextAt: d.next_at } : {}),
        ...(d.last_error ? { lastError: d.last_error } : {}),
      }),
    ),
  };
}
