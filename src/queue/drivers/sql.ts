/**
 * The outbox's queries, shared by the SQLite driver (Node) and the D1 driver (Workers) on the same
 * tables (migrations/). Writes of several statements are in writes.ts, rows and what they become in
 * rows.ts.
 */
import type { EventFilter, EventStatus } from '../store.ts';

// SQLite's planner reads the value bound to a bare `LIMIT ?` ("better optimize queries that use
// parameters in the LIMIT clause", 2024), so every binding makes it prepare the statement again:
// the due query took 21 µs with it, 3 µs with this. An expression over the parameter is not read.
const LIMIT = 'LIMIT CAST(? AS INTEGER)';

// A delivery merged into a digest stands as the digest does.
const EFFECTIVE = `COALESCE(m.status, d.status)`;

// An event's status, from its deliveries; one expression shared by listing and explaining. Named
// event_status because `status` alone would mean deliveries.status inside HAVING.
const STATUS_SQL = `CASE
  WHEN e.duplicate_of IS NOT NULL THEN 'duplicate'
  WHEN e.routed_at IS NULL THEN 'received'
  WHEN COUNT(d.id) = 0 THEN 'unrouted'
  WHEN SUM(${EFFECTIVE} = 'dead') > 0 THEN 'dead'
  WHEN SUM(${EFFECTIVE} = 'pending' AND COALESCE(m.attempts, d.attempts) > 0) > 0 THEN 'failed'
  WHEN SUM(${EFFECTIVE} = 'pending') > 0 THEN 'pending'
  WHEN SUM(${EFFECTIVE} = 'held') > 0 THEN 'held'
  WHEN SUM(${EFFECTIVE} = 'delivered') = 0 THEN 'suppressed'
  ELSE 'delivered' END`;

const JOIN_DELIVERIES = `LEFT JOIN deliveries d ON d.event_id = e.id LEFT JOIN deliveries m ON m.id = d.merged_into`;
const FROM_EVENTS = `FROM events e ${JOIN_DELIVERIES}`;

const SUMMARY = `SELECT e.id, e.events_id, e.object_id, e.received_at, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n`;

// A reply waits while the message it answers (or the digest that carries it) is not sent.
const REPLY_JOIN = `LEFT JOIN deliveries r ON r.id = d.reply_to LEFT JOIN deliveries rm ON rm.id = r.merged_into`;
const REPLY_REF = `COALESCE(rm.ref, r.ref) AS reply_ref, COALESCE(rm.status, r.status) IN ('pending', 'held') AS reply_waits`;
// `tried`: every attempt on record, those before a replay too (a replay sets `attempts` back to 0
// for the retry policy); an index lookup per due row, as the reply joins are.
const TRIED = `(SELECT COUNT(*) FROM attempts a WHERE a.delivery_id = d.id) AS tried`;
const dueColumns = (nextAt: string) => `d.id, d.event_id, d.rule, d.destination, d.type, d.message, d.attempts, ${TRIED}, d.created_at, ${nextAt} AS next_at, ${REPLY_REF}`;
const DUE_COLUMNS = dueColumns('d.next_at');
// Due no sooner than a Retry-After lets its destination be sent to again: a delivery routed after
// the 429 was not postponed with the others (the Workers consumer reads it; Node's dispatcher
// keeps the hold in memory, and reads it from the store at start).
const HELD_NEXT_AT = `MAX(d.next_at, COALESCE((SELECT h.until FROM destination_holds h WHERE h.destination = d.destination), 0))`;

/** Every statement, with positional parameters. */
export const SQL = {
  sameFingerprint:
    'SELECT id, payload FROM events WHERE fingerprint = ? AND received_at >= ? AND duplicate_of IS NULL ORDER BY received_at',
  // The SQLite driver's lookups: it holds the window's fingerprints in memory, read once
  // (recentFingerprints), and knows when the candidates arrived (drivers/recent-payloads.ts).
  recentFingerprints: 'SELECT fingerprint, received_at FROM events WHERE received_at >= ? AND duplicate_of IS NULL ORDER BY received_at',
  sameFingerprintAt: 'SELECT id, payload FROM events WHERE received_at = ? AND fingerprint = ? AND duplicate_of IS NULL',
  insertEvent:
    'INSERT INTO events (id, events_id, object_id, received_at, payload, fingerprint, duplicate_of, routed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  due: `SELECT ${DUE_COLUMNS} FROM deliveries d ${REPLY_JOIN}
    WHERE d.destination = ? AND d.status = 'pending' AND d.next_at <= ? AND COALESCE(rm.status, r.status, '') NOT IN ('pending', 'held')
    ORDER BY d.next_at, d.id ${LIMIT}`,
  // Not replies waiting for their first message: they are queued when it is sent.
  overdue: `SELECT ${DUE_COLUMNS} FROM deliveries d ${REPLY_JOIN}
    WHERE d.status = 'pending' AND d.next_at <= ? AND COALESCE(rm.status, r.status, '') NOT IN ('pending', 'held')
    ORDER BY d.next_at, d.id ${LIMIT}`,
  delivery: `SELECT ${dueColumns(HELD_NEXT_AT)} FROM deliveries d ${REPLY_JOIN}
    WHERE d.id = ? AND d.status = 'pending'`,
  unroutedEvent: 'SELECT id, payload, received_at FROM events WHERE id = ? AND routed_at IS NULL',
  // Deliveries that waited for this one's message (or the digest's that carries it) to answer it.
  replies: `SELECT d.id FROM deliveries d JOIN deliveries r ON r.id = d.reply_to WHERE ? IN (r.id, r.merged_into) AND d.status = 'pending'`,
  nextDue: `SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'pending'`,
  // Left to itself the planner reads the whole of deliveries_due (every delivery ever kept): 0.3 ms
  // for 9,000, where the few pending ones take 4 µs.
  pendingDestinations: `SELECT DISTINCT destination FROM deliveries INDEXED BY deliveries_pending WHERE status = 'pending'`,
  postpone: `UPDATE deliveries SET next_at = ? WHERE destination = ? AND status = 'pending' AND next_at < ?`,
  holdDestination: `INSERT INTO destination_holds (destination, until) VALUES (?, ?)
    ON CONFLICT (destination) DO UPDATE SET until = MAX(until, excluded.until)`,
  destinationHolds: 'SELECT destination, until FROM destination_holds WHERE until > ?',
  // Taken by one sender (next_at moved to the end of its lease): a second copy of its queue message finds it not due.
  claim: `UPDATE deliveries SET next_at = ? WHERE id = ? AND status = 'pending' AND next_at <= ? RETURNING id`,
  schedule: `UPDATE deliveries SET next_at = ? WHERE id = ? AND status = 'pending'`,
  insertAttempt: 'INSERT INTO attempts (delivery_id, at, ok, detail) VALUES (?, ?, ?, ?)',
  updateDelivery: 'UPDATE deliveries SET status = ?, attempts = attempts + 1, next_at = ?, last_error = ?, ref = COALESCE(?, ref) WHERE id = ?',
  unrouted: `SELECT id, payload, received_at FROM events WHERE routed_at IS NULL ORDER BY received_at ${LIMIT}`,
  markRouted: 'UPDATE events SET routed_at = ?, plan = ?, enrichment = ? WHERE id = ? AND routed_at IS NULL',
  event: `SELECT e.id, e.events_id, e.object_id, e.received_at, e.payload, e.duplicate_of, e.plan, e.enrichment, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n,
    EXISTS (SELECT 1 FROM events o WHERE o.id = e.duplicate_of) AS original_kept
    ${FROM_EVENTS} WHERE e.id = ? GROUP BY e.id`,
  deliveriesOf: `SELECT d.*, m.status AS merged_status, g.label AS group_label, g.flush_at AS group_flush_at,
      (SELECT COUNT(*) FROM deliveries x WHERE x.group_id = d.group_id AND x.status = 'held') AS group_size
    FROM deliveries d LEFT JOIN deliveries m ON m.id = d.merged_into LEFT JOIN groups g ON g.id = d.group_id
    WHERE d.event_id = ? ORDER BY d.id`,
  attemptsOf: 'SELECT at, ok, detail FROM attempts WHERE delivery_id = ? ORDER BY at, rowid',
  // A digest is kept with the first event it carries: the others reach it through their merged deliveries.
  replay: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?1, next_at = ?1
    WHERE (event_id = ?2 OR id IN (SELECT merged_into FROM deliveries WHERE event_id = ?2))
      AND (status = 'dead' OR (status = 'pending' AND attempts > 0)) RETURNING id`,
  // Every dead delivery, or every failed one waiting for its next try; of one destination when ?2
  // is not NULL, and given to destination ?3 when that is not NULL (the first was renamed).
  replayDead: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?1, next_at = ?1, destination = COALESCE(?3, destination)
    WHERE status = 'dead' AND (?2 IS NULL OR destination = ?2) RETURNING id`,
  replayFailed: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?1, next_at = ?1, destination = COALESCE(?3, destination)
    WHERE status = 'pending' AND attempts > 0 AND (?2 IS NULL OR destination = ?2) RETURNING id`,
  // RETURNING to count: D1's change count includes the rows a cascade deletes, SQLite's does not.
  // At most a batch of the oldest at a time (outbox.ts says why).
  // An event merged into a digest waits as long as the digest does. One not routed yet (a crash or a
  // stop between its 200 and routing) has no deliveries yet, but everything still to send. A digest
  // is stored with the first event it carries: that event goes only once the others have gone (a
  // prune later), or they would be left merged into nothing, and read as held back on purpose.
  prune: `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? AND routed_at IS NOT NULL AND NOT EXISTS
    (SELECT 1 FROM deliveries d LEFT JOIN deliveries m ON m.id = d.merged_into WHERE d.event_id = events.id AND ${EFFECTIVE} IN ('pending', 'dead', 'held'))
    AND NOT EXISTS (SELECT 1 FROM deliveries d JOIN deliveries c ON c.merged_into = d.id WHERE d.event_id = events.id AND c.event_id <> events.id)
    ORDER BY received_at ${LIMIT}) RETURNING id`,
  // Hold state nothing waits on any more, last used before the cutoff (src/queue/prune.ts).
  pruneGroups: `DELETE FROM groups WHERE flush_at IS NULL AND COALESCE(last_flush_at, 0) < ?
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.group_id = groups.id AND d.status = 'held')`,
  pruneThrottles: 'DELETE FROM throttles WHERE period_start < ?',
  pruneIncidents: `DELETE FROM incidents WHERE state <> 'open' AND COALESCE(closing_until, opened_at) < ?`,
  // What a dead digest carries is dead with it, and goes when it goes: left merged into nothing, it
  // would show as suppressed, held back on purpose.
  deadMerged: `UPDATE deliveries SET status = 'dead' WHERE merged_into IN (SELECT id FROM deliveries WHERE status = 'dead')`,
  countDead: `SELECT COUNT(*) AS n FROM deliveries WHERE status = 'dead'`,
  // An event left with no deliveries would show as one no rule took: it goes with them (its
  // deliveries by the cascade). Found through the dead deliveries' index, not by reading every event.
  purgeDeadEvents: `DELETE FROM events WHERE id IN (SELECT event_id FROM deliveries WHERE status = 'dead')
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status <> 'dead')`,
  purgeDead: `DELETE FROM deliveries WHERE status = 'dead'`,
} as const;

/** The delivery state an event in one of these statuses has in one of its deliveries, or in the digest one was merged into. */
const DELIVERY_STATE: Partial<Record<EventStatus, string>> = { dead: 'dead', failed: 'pending', pending: 'pending', held: 'held', suppressed: 'suppressed' };

/**
 * `events` with its filter, as SQL and its positional parameters. It reads events newest first
 * and stops at the limit: grouping the whole table first took 700 ms at 300,000 events, and a
 * month of them is millions. The statuses that need an operator (dead, failed, pending, held), and
 * the rare ones (duplicate, suppressed), are a few events among them: those start from the rows in
 * that state, through partial indexes, rather than read back through every delivered event to the
 * first. Delivered and unrouted events are most of them, and found at once reading back.
 */
export function eventsQuery(filter: EventFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const state = filter.status && DELIVERY_STATE[filter.status];
  if (state) {
    where.push(`e.id IN (SELECT event_id FROM deliveries WHERE status = '${state}'
      UNION ALL SELECT d.event_id FROM deliveries x JOIN deliveries d ON d.merged_into = x.id WHERE x.status = '${state}')`);
  } else if (filter.status === 'received') {
    where.push('e.routed_at IS NULL');
  } else if (filter.status === 'duplicate') {
    where.push('e.duplicate_of IS NOT NULL');
  }
  if (filter.since !== undefined) {
    where.push('e.received_at >= ?');
    params.push(filter.since);
  }
  let having = '';
  if (filter.status) {
    having = 'HAVING event_status = ?';
    params.push(filter.status);
  }
  params.push(filter.limit ?? 100);
  // The planner does not see on its own that events_received (received_at, then rowid) gives the
  // groups in the order asked for: without it, it groups and sorts every event.
  const from = where.length === 0 ? 'FROM events e INDEXED BY events_received' : 'FROM events e';
  const sql = `${SUMMARY} ${from} ${JOIN_DELIVERIES} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY e.received_at, e.rowid ${having} ORDER BY e.received_at DESC, e.rowid DESC ${LIMIT}`;
  return { sql, params };
}

/** Hold state and its release: groups, throttles, incidents, held deliveries. */
export const HOLD_SQL = {
  throttle: 'SELECT * FROM throttles WHERE rule = ? AND destination = ? AND key = ?',
  incident: `SELECT i.*, (SELECT COUNT(*) FROM deliveries d WHERE d.incident_id = i.id AND d.status = 'held' AND d.hold = 'flap') AS held_closes
    FROM incidents i WHERE name = ? AND key = ?`,
  rootsOf: 'SELECT destination, status FROM deliveries WHERE event_id = ? AND incident_id IS NOT NULL ORDER BY id',
  dueGroups: `SELECT id, rule, destination, label, flush_at, last_flush_at FROM groups WHERE flush_at IS NOT NULL AND flush_at <= ? ORDER BY flush_at ${LIMIT}`,
  dueHeld: `SELECT id, event_id, rule, destination, hold, next_at FROM deliveries
    WHERE status = 'held' AND hold IN ('window', 'flap') AND next_at <= ? ORDER BY next_at, id ${LIMIT}`,
  groupItems: `SELECT id, event_id, type, message, context, created_at FROM deliveries WHERE group_id = ? AND status = 'held' ORDER BY id ${LIMIT}`,
  nextHold: `SELECT MIN(at) AS at FROM (SELECT MIN(flush_at) AS at FROM groups WHERE flush_at IS NOT NULL
    UNION ALL SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'held' AND hold IN ('window', 'flap'))`,
} as const;
