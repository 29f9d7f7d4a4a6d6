/**
 * The outbox's writes of several statements, run in one transaction by either driver: a routing
 * and its holds, a release, throttle and incident state guarded against concurrent change.
 */
import type { PlannedDelivery } from '../../deliver/plan.ts';
import type { IncidentRow, ReleaseAction, Routing, Statement, ThrottleRow } from '../store.ts';
import { planSummary } from './rows.ts';
import { SQL } from './sql.ts';

/** Fails the transaction it is in when the statement before it did not change exactly `n` rows. */
export const guard = (n: number): Statement => ({ sql: 'INSERT INTO conflicts (never) SELECT NULL WHERE changes() <> ?', params: [n] });

/** SQLite's message for a failed guard, on either runtime. */
export const isGuardFailure = (e: unknown) => /conflicts\.never/.test(String((e as Error)?.message ?? e));

/** SQL with `?1`, `?2`: the same with plain `?`, and which parameter each `?` takes. */
const numbered = new Map<string, { sql: string; order: number[] } | null>();

/**
 * A statement; `?1`, `?2` become plain `?` with their parameters repeated in order: better-sqlite3
 * binds only plain ones by position, D1 takes both. Each SQL text is rewritten once: routing
 * builds a statement per delivery.
 */
export function stmt(sql: string, ...params: unknown[]): Statement {
  let known = numbered.get(sql);
  if (known === undefined) {
    const order: number[] = [];
    const plain = sql.replace(/\?(\d+)/g, (_, n: string) => {
      order.push(Number(n) - 1);
      return '?';
    });
    known = order.length > 0 ? { sql: plain, order } : null;
    numbered.set(sql, known);
  }
  return known ? { sql: known.sql, params: known.order.map((i) => params[i]) } : { sql, params };
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
