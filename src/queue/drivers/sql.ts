/**
 * The outbox's SQL, shared by the SQLite driver (Node) and the D1 driver (Workers): the same tables
 * (migrations/), the same queries, the same rows turned into the same objects.
 */
import type { PlannedDelivery } from '../../deliver/plan.ts';
import type {
  DeliveryDetail,
  DeliveryStatus,
  DueDelivery,
  EventFilter,
  EventStatus,
  EventSummary,
  Explanation,
  IncidentRow,
  ReleaseAction,
  Routing,
  Statement,
  ThrottleRow,
} from '../store.ts';

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

const FROM_EVENTS = `FROM events e LEFT JOIN deliveries d ON d.event_id = e.id LEFT JOIN deliveries m ON m.id = d.merged_into`;

const SUMMARY_SQL = `SELECT e.id, e.events_id, e.object_id, e.received_at, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n ${FROM_EVENTS}`;

// A reply waits while the message it answers (or the digest that carries it) is not sent.
const REPLY_JOIN = `LEFT JOIN deliveries r ON r.id = d.reply_to LEFT JOIN deliveries rm ON rm.id = r.merged_into`;
const REPLY_REF = `COALESCE(rm.ref, r.ref) AS reply_ref, COALESCE(rm.status, r.status) IN ('pending', 'held') AS reply_waits`;
const DUE_COLUMNS = `d.id, d.event_id, d.rule, d.destination, d.message, d.attempts, d.created_at, ${REPLY_REF}`;

/** Every statement, with positional parameters. */
export const SQL = {
  sameFingerprint:
    'SELECT id, payload FROM events WHERE fingerprint = ? AND received_at >= ? AND duplicate_of IS NULL ORDER BY received_at',
  insertEvent:
    'INSERT INTO events (id, events_id, object_id, received_at, payload, fingerprint, duplicate_of, routed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  due: `SELECT ${DUE_COLUMNS} FROM deliveries d ${REPLY_JOIN}
    WHERE d.destination = ? AND d.status = 'pending' AND d.next_at <= ? AND COALESCE(rm.status, r.status, '') NOT IN ('pending', 'held')
    ORDER BY d.next_at, d.id LIMIT ?`,
  // Not replies waiting for their first message: they are queued when it is sent.
  overdue: `SELECT ${DUE_COLUMNS} FROM deliveries d ${REPLY_JOIN}
    WHERE d.status = 'pending' AND d.next_at <= ? AND COALESCE(rm.status, r.status, '') NOT IN ('pending', 'held')
    ORDER BY d.next_at, d.id LIMIT ?`,
  delivery: `SELECT ${DUE_COLUMNS} FROM deliveries d ${REPLY_JOIN}
    WHERE d.id = ? AND d.status = 'pending' AND d.next_at <= ?`,
  unroutedEvent: 'SELECT id, payload, received_at FROM events WHERE id = ? AND routed_at IS NULL',
  // Deliveries that waited for this one's message (or the digest's that carries it) to answer it.
  replies: `SELECT d.id FROM deliveries d JOIN deliveries r ON r.id = d.reply_to WHERE ? IN (r.id, r.merged_into) AND d.status = 'pending'`,
  nextDue: `SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'pending'`,
  pendingDestinations: `SELECT DISTINCT destination FROM deliveries WHERE status = 'pending'`,
  insertAttempt: 'INSERT INTO attempts (delivery_id, at, ok, detail) VALUES (?, ?, ?, ?)',
  updateDelivery: 'UPDATE deliveries SET status = ?, attempts = attempts + 1, next_at = ?, last_error = ?, ref = COALESCE(?, ref) WHERE id = ?',
  unrouted: 'SELECT id, payload, received_at FROM events WHERE routed_at IS NULL ORDER BY received_at LIMIT ?',
  markRouted: 'UPDATE events SET routed_at = ?, plan = ?, enrichment = ? WHERE id = ? AND routed_at IS NULL',
  event: `SELECT e.id, e.events_id, e.object_id, e.received_at, e.payload, e.duplicate_of, e.plan, e.enrichment, ${STATUS_SQL} AS event_status, COUNT(d.id) AS n
    ${FROM_EVENTS} WHERE e.id = ? GROUP BY e.id`,
  deliveriesOf: `SELECT d.*, m.status AS merged_status, g.label AS group_label, g.flush_at AS group_flush_at,
      (SELECT COUNT(*) FROM deliveries x WHERE x.group_id = d.group_id AND x.status = 'held') AS group_size
    FROM deliveries d LEFT JOIN deliveries m ON m.id = d.merged_into LEFT JOIN groups g ON g.id = d.group_id
    WHERE d.event_id = ? ORDER BY d.id`,
  attemptsOf: 'SELECT at, ok, detail FROM attempts WHERE delivery_id = ? ORDER BY at, rowid',
  replay: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?, next_at = ?
    WHERE event_id = ? AND (status = 'dead' OR (status = 'pending' AND attempts > 0)) RETURNING id`,
  replayDead: `UPDATE deliveries SET status = 'pending', attempts = 0, created_at = ?, next_at = ? WHERE status = 'dead' RETURNING id`,
  // RETURNING to count: D1's change count includes the rows a cascade deletes, SQLite's does not.
  prune: `DELETE FROM events WHERE received_at < ? AND NOT EXISTS
    (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status IN ('pending', 'dead', 'held')) RETURNING id`,
  // Hold state nothing waits on any more, older than the retention period.
  pruneGroups: `DELETE FROM groups WHERE flush_at IS NULL AND COALESCE(last_flush_at, 0) < ?
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.group_id = groups.id AND d.status = 'held')`,
  pruneThrottles: 'DELETE FROM throttles WHERE period_start < ?',
  pruneIncidents: `DELETE FROM incidents WHERE state <> 'open' AND COALESCE(closing_until, opened_at) < ?`,
  purgeDead: `DELETE FROM deliveries WHERE status = 'dead' RETURNING id`,
  purgeOrphans: `DELETE FROM events WHERE duplicate_of IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)
    AND json_extract(plan, '$.deliveries') > 0`,
} as const;

/** Hold state and its release: groups, throttles, incidents, held deliveries. */
export const HOLD_SQL = {
  throttle: 'SELECT * FROM throttles WHERE rule = ? AND destination = ? AND key = ?',
  incident: `SELECT i.*, (SELECT COUNT(*) FROM deliveries d WHERE d.incident_id = i.id AND d.status = 'held' AND d.hold = 'flap') AS held_closes
    FROM incidents i WHERE name = ? AND key = ?`,
  rootsOf: 'SELECT destination, status FROM deliveries WHERE event_id = ? AND incident_id IS NOT NULL ORDER BY id',
  dueGroups: 'SELECT id, rule, destination, label, flush_at, last_flush_at FROM groups WHERE flush_at IS NOT NULL AND flush_at <= ? ORDER BY flush_at LIMIT ?',
  dueHeld: `SELECT id, event_id, rule, destination, hold, next_at FROM deliveries
    WHERE status = 'held' AND hold IN ('window', 'flap') AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
  groupItems: `SELECT id, event_id, type, message, context, created_at FROM deliveries WHERE group_id = ? AND status = 'held' ORDER BY id LIMIT ?`,
  nextHold: `SELECT MIN(at) AS at FROM (SELECT MIN(flush_at) AS at FROM groups WHERE flush_at IS NOT NULL
    UNION ALL SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'held' AND hold IN ('window', 'flap'))`,
} as const;

/** Fails the transaction it is in when the statement before it did not change exactly `n` rows. */
export const guard = (n: number): Statement => ({ sql: 'INSERT INTO conflicts (never) SELECT NULL WHERE changes() <> ?', params: [n] });

/** SQLite's message for a failed guard, on either runtime. */
export const isGuardFailure = (e: unknown) => /conflicts\.never/.test(String((e as Error)?.message ?? e));

/**
 * A statement; `?1`, `?2` become plain `?` with their parameters repeated in order: better-sqlite3
 * binds only plain ones by position, D1 takes both.
 */
export function stmt(sql: string, ...params: unknown[]): Statement {
  if (!/\?\d/.test(sql)) return { sql, params };
  const ordered: unknown[] = [];
  const plain = sql.replace(/\?(\d+)/g, (_, n: string) => {
    ordered.push(params[Number(n) - 1]);
    return '?';
  });
  return { sql: plain, params: ordered };
}

const INSERT_DELIVERY = `INSERT INTO deliveries (event_id, rule, destination, type, message, render_error, status, created_at, next_at, hold, note, context, group_id, reply_to, incident_id)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
    CASE WHEN ?13 IS NULL THEN NULL ELSE (SELECT id FROM groups WHERE rule = ?2 AND destination = ?3 AND key = ?13) END,
    CASE WHEN ?14 IS NULL THEN NULL ELSE (SELECT id FROM deliveries WHERE event_id = ?14 AND destination = ?3 AND incident_id IS NOT NULL ORDER BY id LIMIT 1) END,
    CASE WHEN ?15 IS NULL THEN NULL ELSE (SELECT id FROM incidents WHERE name = ?15 AND key = ?16) END)`;

/** What a statement of a routing's transaction is for: its result says what routing produced. */
export type RouteRole = 'pending' | 'scheduled' | 'other';

/**
 * A routing's transaction: mark the event routed (once: a second routing fails the guard), its
 * effects, then per delivery its group's schedule and the delivery itself. The maximum age counts
 * from arrival (routing late buys no time), or from when a held delivery is released.
 */
export function routeStatements(routings: readonly Routing[], now: number): Array<Statement & { role: RouteRole }> {
  const out: Array<Statement & { role: RouteRole }> = [];
  const add = (s: Statement, role: RouteRole = 'other') => out.push({ ...s, role });
  for (const { id, receivedAt, plan, enrichment, effects } of routings) {
    add(stmt(SQL.markRouted, now, planSummary(plan), enrichment?.length ? JSON.stringify(enrichment) : null, id));
    add(guard(1));
    for (const e of effects ?? []) add(e);
    for (const d of plan.deliveries) {
      if (d.group) {
        add(stmt('INSERT INTO groups (rule, destination, key, label) VALUES (?, ?, ?, ?) ON CONFLICT (rule, destination, key) DO NOTHING', d.rule, d.destination, d.group.key, d.group.label));
        // A group not waiting yet waits group_wait when it has been quiet for group_interval, else
        // until group_interval after its last message.
        add(
          stmt(
            `UPDATE groups SET flush_at = CASE WHEN last_flush_at IS NULL OR last_flush_at + ?1 <= ?2 THEN ?2 + ?3 ELSE last_flush_at + ?1 END
              WHERE rule = ?4 AND destination = ?5 AND key = ?6 AND flush_at IS NULL RETURNING flush_at`,
            d.group.intervalMs, now, d.group.waitMs, d.rule, d.destination, d.group.key,
          ),
          'scheduled',
        );
      }
      add(insertDelivery(id, d, d.createdAt ?? receivedAt, d.nextAt ?? now), (d.status ?? 'pending') === 'pending' ? 'pending' : 'other');
    }
  }
  return out;
}

function insertDelivery(eventId: string, d: PlannedDelivery, createdAt: number, nextAt: number): Statement {
  return stmt(
    INSERT_DELIVERY,
    eventId, d.rule, d.destination, d.type, JSON.stringify(d.message), d.renderError ?? null,
    d.status ?? 'pending', createdAt, nextAt, d.hold ?? null, d.note ?? null,
    d.group ? JSON.stringify(d.context ?? {}) : null,
    d.group?.key ?? null, d.replyToEvent ?? null, d.incident?.name ?? null, d.incident?.key ?? null,
  );
}

/** Writes a throttle's new counts, if nobody changed them since `before` was read (absent: nobody created it). */
export function writeThrottle(before: ThrottleRow | undefined, after: Omit<ThrottleRow, 'version'> & { label: string }): Statement[] {
  const a = after;
  if (!before) {
    return [
      stmt(
        `INSERT INTO throttles (rule, destination, key, label, period_start, sent, held, held_since, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
          ON CONFLICT (rule, destination, key) DO NOTHING`,
        a.rule, a.destination, a.key, a.label, a.periodStart, a.sent, a.held, a.heldSince ?? null,
      ),
      guard(1),
    ];
  }
  return [
    stmt(
      `UPDATE throttles SET period_start = ?, sent = ?, held = ?, held_since = ?, version = version + 1
        WHERE rule = ? AND destination = ? AND key = ? AND version = ?`,
      a.periodStart, a.sent, a.held, a.heldSince ?? null, a.rule, a.destination, a.key, before.version,
    ),
    guard(1),
  ];
}

/** Writes an incident's new state, if nobody changed it since `before` was read. */
export function writeIncident(before: IncidentRow | undefined, a: Omit<IncidentRow, 'version' | 'heldCloses' | 'roots'> & { label: string }): Statement[] {
  const values = [a.state, a.openEvent, a.openedAt, a.openedDt, a.closingUntil ?? null, a.flaps];
  if (!before) {
    return [
      stmt(
        `INSERT INTO incidents (name, key, label, state, open_event, opened_at, opened_dt, closing_until, flaps, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
          ON CONFLICT (name, key) DO NOTHING`,
        a.name, a.key, a.label, ...values,
      ),
      guard(1),
    ];
  }
  return [
    stmt(
      `UPDATE incidents SET state = ?, open_event = ?, opened_at = ?, opened_dt = ?, closing_until = ?, flaps = ?, version = version + 1
        WHERE name = ? AND key = ? AND version = ?`,
      ...values, a.name, a.key, before.version,
    ),
    guard(1),
  ];
}

/** Holds back for good the closes of an incident that were held for flap damping (`n` of them). */
export function suppressHeldCloses(name: string, key: string, n: number, note: string): Statement[] {
  return [
    stmt(
      `UPDATE deliveries SET status = 'suppressed', hold = 'damped', note = ?
        WHERE incident_id = (SELECT id FROM incidents WHERE name = ? AND key = ?) AND status = 'held' AND hold = 'flap'`,
      note, name, key,
    ),
    guard(n),
  ];
}

/** What a release decision writes, in one transaction; `pending` marks results holding sendable deliveries. */
export function releaseStatements(action: ReleaseAction, now: number): Array<Statement & { role: RouteRole }> {
  const s = (x: Statement, role: RouteRole = 'other') => ({ ...x, role });
  switch (action.kind) {
    case 'release': {
      const marks = action.ids.map(() => '?').join(', ');
      return [s(stmt(`UPDATE deliveries SET status = 'pending', next_at = ?, created_at = ? WHERE id IN (${marks}) AND status = 'held' RETURNING id`, now, now, ...action.ids), 'pending')];
    }
    case 'defer':
      return [s(stmt(`UPDATE deliveries SET next_at = ?, created_at = ?, hold = 'window', note = ? WHERE id = ? AND status = 'held'`, action.until, action.until, action.note, action.id))];
    case 'defer-group':
      return [s(stmt('UPDATE groups SET flush_at = ? WHERE id = ? AND flush_at = ?', action.until, action.group, action.seenFlushAt)), s(guard(1))];
    case 'close-group':
      return [
        s(stmt(`UPDATE groups SET flush_at = NULL WHERE id = ?1 AND flush_at = ?2 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE group_id = ?1 AND status = 'held')`, action.group, action.seenFlushAt)),
        s(guard(1)),
      ];
    case 'flush': {
      const last = action.items[action.items.length - 1]!;
      // Claimed once: whoever changes flush_at from what it read sends; anyone else fails the guard.
      // Deliveries that joined after those read wait group_interval for the next message.
      const claim = s(
        stmt(
          `UPDATE groups SET last_flush_at = ?1, flush_at = CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE group_id = ?2 AND status = 'held' AND id > ?3) THEN ?1 + ?4 ELSE NULL END
            WHERE id = ?2 AND flush_at = ?5 RETURNING flush_at`,
          now, action.group, last, action.intervalMs, action.seenFlushAt,
        ),
        'scheduled',
      );
      if (!action.digest) {
        const release = stmt(`UPDATE deliveries SET status = 'pending', next_at = ?1, created_at = ?1 WHERE group_id = ?2 AND status = 'held' AND id <= ?3 RETURNING id`, now, action.group, last);
        return [claim, s(guard(1)), s(release, 'pending')];
      }
      const g = action.digest;
      const digest = stmt(
        `INSERT INTO deliveries (event_id, rule, destination, type, message, render_error, status, created_at, next_at, hold, note, group_id)
          VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, 'group', ?, ?)`,
        g.eventId, g.rule, g.destination, g.type, JSON.stringify(g.message), g.renderError ?? null, now, now, g.note, action.group,
      );
      const merge = stmt(
        `UPDATE deliveries SET status = 'merged', merged_into = last_insert_rowid() WHERE group_id = ? AND status = 'held' AND id <= ?`,
        action.group, last,
      );
      return [claim, s(guard(1)), s(digest, 'pending'), s(merge), s(guard(action.items.length))];
    }
  }
}

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
  hold: string | null;
  note: string | null;
  group_id: number | null;
  merged_into: number | null;
  reply_to: number | null;
  ref: string | null;
  merged_status: DeliveryStatus | null;
  group_label: string | null;
  group_flush_at: number | null;
  group_size: number;
}

export interface DueRow {
  id: number;
  event_id: string;
  rule: string;
  destination: string;
  message: string;
  attempts: number;
  created_at: number;
  reply_ref: string | null;
  reply_waits: number | null;
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
  ...(r.reply_ref ? { replyTo: r.reply_ref } : {}),
  ...(r.reply_waits ? { replyWaits: true } : {}),
});

export interface ThrottleDbRow {
  rule: string;
  destination: string;
  key: string;
  period_start: number;
  sent: number;
  held: number;
  held_since: number | null;
  version: number;
}

export const throttleRow = (r: ThrottleDbRow): ThrottleRow => ({
  rule: r.rule,
  destination: r.destination,
  key: r.key,
  periodStart: r.period_start,
  sent: r.sent,
  held: r.held,
  ...(r.held_since !== null ? { heldSince: r.held_since } : {}),
  version: r.version,
});

export interface IncidentDbRow {
  name: string;
  key: string;
  state: IncidentRow['state'];
  open_event: string;
  opened_at: number;
  opened_dt: string;
  closing_until: number | null;
  flaps: number;
  version: number;
  held_closes: number;
}

export const incidentRow = (r: IncidentDbRow, roots: ReadonlyArray<{ destination: string; status: DeliveryStatus }>): IncidentRow => ({
  name: r.name,
  key: r.key,
  state: r.state,
  openEvent: r.open_event,
  openedAt: r.opened_at,
  openedDt: r.opened_dt,
  ...(r.closing_until !== null ? { closingUntil: r.closing_until } : {}),
  flaps: r.flaps,
  version: r.version,
  heldCloses: r.held_closes,
  // The first delivery to each destination is the one replies answer.
  roots: Object.fromEntries([...roots].reverse().map((x) => [x.destination, x.status])),
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
        ...(d.status === 'pending' || (d.status === 'held' && d.hold !== 'group') ? { nextAt: d.next_at } : {}),
        ...(d.last_error ? { lastError: d.last_error } : {}),
        ...(d.hold ? { hold: d.hold } : {}),
        ...(d.note ? { note: d.note } : {}),
        ...(d.group_id !== null && d.status === 'held'
          ? { group: { id: d.group_id, label: d.group_label ?? '', size: d.group_size, ...(d.group_flush_at !== null ? { flushAt: d.group_flush_at } : {}) } }
          : {}),
        ...(d.merged_into !== null ? { mergedInto: { id: d.merged_into, status: d.merged_status ?? 'merged' } } : {}),
        ...(d.reply_to !== null ? { replyTo: d.reply_to } : {}),
        ...(d.ref ? { ref: d.ref } : {}),
      }),
    ),
  };
}
