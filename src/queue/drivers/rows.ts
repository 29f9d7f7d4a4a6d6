/** The outbox's rows as both drivers read them, and the objects they become. */
import type { DeliveryDetail, DeliveryStatus, DueDelivery, EventStatus, EventSummary, Explanation, IncidentRow, ThrottleRow } from '../store.ts';

export interface SummaryRow {
  id: string;
  events_id: string;
  object_id: string;
  received_at: number;
  event_status: EventStatus;
  n: number;
}

export type EventRow = SummaryRow & { payload: string; duplicate_of: string | null; original_kept: number; plan: string | null; enrichment: string | null };

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
  type: string;
  message: string;
  attempts: number;
  tried: number;
  created_at: number;
  next_at: number;
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
  type: r.type,
  message: JSON.parse(r.message),
  attempts: r.attempts,
  tried: r.tried,
  createdAt: r.created_at,
  nextAt: r.next_at,
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
    ...(row.duplicate_of ? { duplicateOf: row.duplicate_of, ...(row.original_kept ? {} : { duplicateOfPruned: true as const }) } : {}),
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
