import type { Config, Destination, Incident, Rule } from '../config/config.ts';
import type { PlannedDelivery, Planner } from '../deliver/plan.ts';
import { canonicalEventId } from '../events/catalog.ts';
import { suppressHeldCloses, writeIncident, writeThrottle } from '../queue/drivers/writes.ts';
import type { DeliveryStatus, IncidentRow, Routing, Statement, Store, ThrottleRow } from '../queue/store.ts';
import { compilePattern } from '../rules/pattern.ts';
import { formatDuration } from './duration.ts';
import { keyOf } from './keys.ts';
import { isOpen, localLabel, nextOpen, type SendWindow } from './window.ts';

/**
 * What happens to each message routing produced, before it is stored: sent at once, held (in a
 * group, until a send window opens, for flap damping) or held back for good (a throttle, damping),
 * and threaded as a reply to the message of its incident's opening event. Decided on the state the
 * store holds; the state changes travel with the routing as guarded effects, so that a decision made
 * on state that changed meanwhile is refused (ConflictError) and made again.
 */

/** The send window for a rule's messages to a destination: the rule's own unless it says `always`, else the destination's. */
export function windowFor(rule: Rule | undefined, destination: Destination | undefined): SendWindow | undefined {
  if (rule?.window === 'always') return undefined;
  return rule?.window ?? destination?.window;
}

/** Whether the event opens or closes the incident. */
export function incidentRole(incident: Incident, eventId: string): 'open' | 'close' | undefined {
  if (incident.opens.some((p) => compilePattern(p)(eventId))) return 'open';
  if (incident.closes.some((p) => compilePattern(p)(eventId))) return 'close';
  return undefined;
}

/** Whether a routing opens or closes an incident for one of its rules: such routings are recorded in the order events came. */
export function touchesIncident(config: Config, routing: Routing): boolean {
  const eventId = eventIdOf((routing.context ?? {}) as Record<string, unknown>);
  return routing.plan.deliveries.some((d) => {
    const name = config.rules.find((r) => r.name === d.rule)?.incident;
    const incident = name ? config.incidents.get(name) : undefined;
    return incident !== undefined && incidentRole(incident, eventId) !== undefined;
  });
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Throttled = { before?: ThrottleRow; now?: Mutable<Omit<ThrottleRow, 'version'>>; label: string; changed: boolean };
type Tracked = {
  before?: IncidentRow;
  now?: Mutable<Omit<IncidentRow, 'version' | 'heldCloses' | 'roots'>>;
  label: string;
  changed: boolean;
  /** Closes held for damping: stored ones (to hold back in the store) and ones of this batch. */
  heldStored: number;
  cancelStored: number;
  heldInBatch: Array<{ routing: number; delivery: number }>;
  /** The status of the opening event's first delivery per destination. */
  roots: Record<string, DeliveryStatus>;
};

/** What an incident makes of an event's messages to the rules that name it. */
type Outcome =
  | { kind: 'root' | 'reply'; openEvent: string; context: Record<string, unknown> }
  | { kind: 'hold'; openEvent: string; until: number; context: Record<string, unknown> }
  | { kind: 'suppress'; note: string };

/** Applies throttles, incidents, groups and send windows to routings; unchanged when no rule uses them. */
export async function applyHolds(routings: readonly Routing[], store: Pick<Store, 'holdState'>, planner: Planner, now: number): Promise<Routing[]> {
  return new Decisions(planner, now).apply(routings, store);
}

class Decisions {
  private readonly rules = new Map<string, Rule>();
  private readonly throttles = new Map<string, Throttled>();
  private readonly incidents = new Map<string, Tracked>();

  constructor(
    private readonly planner: Planner,
    private readonly now: number,
  ) {
    // Names may repeat (check warns); the first rule of a name is the one routing named.
    for (const r of [...planner.config.rules].reverse()) this.rules.set(r.name, r);
  }

  private needs(r: Routing): boolean {
    return r.plan.deliveries.some((d) => {
      const rule = this.rules.get(d.rule);
      return rule !== undefined && (rule.group || rule.throttle || rule.incident || windowFor(rule, this.planner.config.destinations.get(d.destination)));
    });
  }

  async apply(routings: readonly Routing[], store: Pick<Store, 'holdState'>): Promise<Routing[]> {
    if (!routings.some((r) => this.needs(r))) return [...routings];
    await this.read(routings, store);
    const out: Routing[] = routings.map((r) => ({ ...r, plan: { ...r.plan, deliveries: [...r.plan.deliveries] } }));
    out.forEach((r, i) => {
      if (this.needs(r)) this.decide(out, i);
    });
    const effects = this.effects();
    // First: later routings' deliveries name the incidents these create.
    const first = out.findIndex((r) => this.needs(r));
    if (effects.length > 0) out[first] = { ...out[first]!, effects: [...(out[first]!.effects ?? []), ...effects] };
    return out;
  }

  /** Reads the throttles and incidents these routings touch. */
  private async read(routings: readonly Routing[], store: Pick<Store, 'holdState'>): Promise<void> {
    const throttles = new Map<string, { rule: string; destination: string; key: string; label: string }>();
    const incidents = new Map<string, { name: string; key: string; label: string }>();
    for (const r of routings) {
      const context = r.context ?? {};
      for (const d of r.plan.deliveries) {
        const rule = this.rules.get(d.rule);
        if (rule?.throttle) {
          const { key, label } = keyOf(rule.throttle.key, context);
          throttles.set(JSON.stringify([d.rule, d.destination, key]), { rule: d.rule, destination: d.destination, key, label });
        }
        const incident = rule?.incident ? this.planner.config.incidents.get(rule.incident) : undefined;
        if (incident && incidentRole(incident, eventIdOf(context))) {
          const { key, label } = keyOf(incident.key, context);
          incidents.set(JSON.stringify([incident.name, key]), { name: incident.name, key, label });
        }
      }
    }
    const snapshot = await store.holdState({ throttles: [...throttles.values()], incidents: [...incidents.values()] });
    for (const [id, t] of throttles) {
      const before = snapshot.throttles.find((x) => x.rule === t.rule && x.destination === t.destination && x.key === t.key);
      this.throttles.set(id, { ...(before ? { before, now: { ...before } } : {}), label: t.label, changed: false });
    }
    for (const [id, i] of incidents) {
      const before = snapshot.incidents.find((x) => x.name === i.name && x.key === i.key);
      const { version: _v, heldCloses: _h, roots: _r, ...now } = before ?? ({} as IncidentRow);
      this.incidents.set(id, {
        ...(before ? { before, now } : {}),
        label: i.label,
        changed: false,
        heldStored: before?.heldCloses ?? 0,
        cancelStored: 0,
        heldInBatch: [],
        roots: { ...(before?.roots ?? {}) },
      });
    }
  }

  private decide(out: Routing[], index: number): void {
    const r = out[index]!;
    const context = (r.context ?? {}) as Record<string, unknown>;
    const eventId = eventIdOf(context);
    const outcomes = new Map<string, Outcome | undefined>();
    const incidentOf = (rule: Rule | undefined) => {
      if (!rule?.incident) return undefined;
      if (!outcomes.has(rule.incident)) outcomes.set(rule.incident, this.transition(out, r, rule.incident, eventId, context));
      return outcomes.get(rule.incident);
    };
    const deliveries = r.plan.deliveries.map((d, i) => this.delivery(index, i, d, eventId, context, incidentOf(this.rules.get(d.rule))));
    out[index] = { ...out[index]!, plan: { ...r.plan, deliveries } };
    // An opening event's messages are what the incident's later messages answer.
    for (const [name, outcome] of outcomes) {
      if (outcome?.kind !== 'root') continue;
      const tracked = this.incidents.get(this.incidentId(name, context))!;
      tracked.roots = {};
      for (const d of [...deliveries].reverse()) if (this.rules.get(d.rule)?.incident === name) tracked.roots[d.destination] = d.status ?? 'pending';
    }
  }

  private incidentId(name: string, context: Record<string, unknown>): string {
    return JSON.stringify([name, keyOf(this.planner.config.incidents.get(name)!.key, context).key]);
  }

  /** The incident's next state after this event, once per event, and what that makes of its messages. */
  private transition(out: Routing[], r: Routing, name: string, eventId: string, context: Record<string, unknown>): Outcome | undefined {
    const incident = this.planner.config.incidents.get(name)!;
    const role = incidentRole(incident, eventId);
    if (!role) return undefined;
    const t = this.incidents.get(this.incidentId(name, context))!;
    const cur = t.now;
    const state = cur?.state === 'closing' && (cur.closingUntil ?? 0) <= this.now ? 'closed' : cur?.state;
    const about = `incident ${name}${t.label ? ` (${t.label})` : ''}`;
    const dt = String((context.event as { dt?: unknown })?.dt ?? '');
    if (role === 'open') {
      if (cur && state === 'closing') {
        // Reopened within the flap time: its close is not sent, nor is this reopening.
        const note = `damped: ${about} reopened within ${formatDuration(incident.flapMs)} of closing; neither the close nor the reopening is sent`;
        t.cancelStored = t.heldStored;
        for (const ref of t.heldInBatch) {
          const target = out[ref.routing]!;
          const ds = [...target.plan.deliveries];
          ds[ref.delivery] = { ...ds[ref.delivery]!, status: 'suppressed', hold: 'damped', note };
          out[ref.routing] = { ...target, plan: { ...target.plan, deliveries: ds } };
        }
        t.heldInBatch = [];
        Object.assign(cur, { state: 'open', flaps: cur.flaps + 1 });
        delete cur.closingUntil;
        t.changed = true;
        return { kind: 'suppress', note: `${note} (${cur.flaps} flap${cur.flaps === 1 ? '' : 's'} so far)` };
      }
      if (cur && state === 'open') return { kind: 'reply', openEvent: cur.openEvent, context: this.incidentContext(name, t, dt, 'open') };
      t.now = { name, key: keyOf(incident.key, context).key, state: 'open', openEvent: r.id, openedAt: this.now, openedDt: dt || new Date(this.now).toISOString(), flaps: 0 };
      t.changed = true;
      return { kind: 'root', openEvent: r.id, context: this.incidentContext(name, t, dt, 'open') };
    }
    if (!cur || state === 'closed') return undefined;
    if (state === 'closing') return { kind: 'suppress', note: `${about} is closing already: this close is not sent again` };
    const context_ = this.incidentContext(name, t, dt, 'closed');
    t.changed = true;
    if (incident.flapMs > 0) {
      Object.assign(cur, { state: 'closing', closingUntil: this.now + incident.flapMs });
      return { kind: 'hold', openEvent: cur.openEvent, until: this.now + incident.flapMs, context: context_ };
    }
    Object.assign(cur, { state: 'closed', closingUntil: this.now });
    return { kind: 'reply', openEvent: cur.openEvent, context: context_ };
  }

  /** `incident` in templates: when it began, how long it lasted, how often it flapped. */
  private incidentContext(name: string, t: Tracked, dt: string, state: 'open' | 'closed'): Record<string, unknown> {
    const cur = t.now!;
    const began = Date.parse(cur.openedDt);
    const ended = Date.parse(dt);
    const duration = state === 'closed' ? formatDuration((Number.isNaN(ended) || Number.isNaN(began) ? this.now - cur.openedAt : ended - began) || 0) : undefined;
    return { incident: { name, key: t.label, state, opened_at: cur.openedDt, flaps: cur.flaps, ...(duration ? { duration } : {}) } };
  }

  private delivery(index: number, position: number, d: PlannedDelivery, eventId: string, context: Record<string, unknown>, outcome: Outcome | undefined): PlannedDelivery {
    const rule = this.rules.get(d.rule);
    if (!rule) return d;
    let extra: Record<string, unknown> = {};
    let decided: Mutable<Partial<PlannedDelivery>> = {};
    if (outcome) {
      const inc = this.planner.config.incidents.get(rule.incident!)!;
      const link = { incident: { name: inc.name, key: keyOf(inc.key, context).key } };
      if (outcome.kind === 'suppress') return { ...d, status: 'suppressed', hold: 'damped', note: outcome.note, ...link };
      extra = outcome.context;
      decided = { ...link, ...(outcome.kind !== 'root' ? { replyToEvent: outcome.openEvent } : {}) };
      const root = outcome.kind !== 'root' ? this.incidents.get(this.incidentId(inc.name, context))!.roots[d.destination] : undefined;
      if (root === 'suppressed') {
        return { ...d, ...decided, status: 'suppressed', hold: 'throttle', note: `the first message of incident ${inc.name} to ${d.destination} was held back, and so is this one` };
      }
      if (outcome.kind === 'hold') {
        decided = { ...decided, status: 'held', hold: 'flap', nextAt: outcome.until, createdAt: outcome.until, note: `held for flap damping until ${new Date(outcome.until).toISOString()}: sent then unless incident ${inc.name} reopens` };
        this.incidents.get(this.incidentId(inc.name, context))!.heldInBatch.push({ routing: index, delivery: position });
      }
    }
    if (rule.throttle && decided.status !== 'held') {
      const held = this.throttle(rule, d, context, outcome?.kind === 'root' && this.closeWasTold(rule.incident!, d.destination, context));
      if (held.note) return { ...d, ...decided, status: 'suppressed', hold: 'throttle', note: held.note };
      if (held.count > 0) extra = { ...extra, held: { count: held.count, since: new Date(held.since!).toISOString() } };
    }
    const rendered = Object.keys(extra).length > 0 ? this.planner.deliver(rule, d.destination, eventId, { ...context, ...extra }) : d;
    if (decided.status === 'held') return { ...rendered, ...decided };
    if (rule.group) {
      const { key, label } = keyOf(rule.group.by, { ...context, ...extra });
      const by = rule.group.by.length > 0 ? `${rule.group.by.join(', ')} ` : '';
      return {
        ...rendered,
        ...decided,
        status: 'held',
        hold: 'group',
        group: { key, label, waitMs: rule.group.waitMs, intervalMs: rule.group.intervalMs },
        context: { ...context, ...extra },
        note: `grouped by rule ${rule.name}${by ? ` (${by.trim()}${label ? ` = ${label}` : ''})` : ''}`,
      };
    }
    const window = windowFor(rule, this.planner.config.destinations.get(d.destination));
    if (window && !isOpen(window, this.now)) {
      const until = nextOpen(window, this.now);
      const note = `deferred: outside send window ${window.name} (${window.label}) until ${localLabel(until, window.timeZone)}`;
      return { ...rendered, ...decided, status: 'held', hold: 'window', nextAt: until, createdAt: until, note };
    }
    return { ...rendered, ...decided };
  }

  /**
   * Whether the incident this event reopens had its close told to the destination: the previous
   * incident's first message there went, so its reply did. (Read before this event's messages
   * become the incident's new first messages.)
   */
  private closeWasTold(name: string, destination: string, context: Record<string, unknown>): boolean {
    const root = this.incidents.get(this.incidentId(name, context))!.roots[destination];
    return root !== undefined && root !== 'suppressed';
  }

  /**
   * Takes a place in the rule's throttle for this key, or holds the message back. `mustSend`: an
   * incident's reopening after its close was told, which a throttle never holds back, or the last
   * message would say "recovered" while the balance is at zero again; it still takes a place.
   */
  private throttle(rule: Rule, d: PlannedDelivery, context: Record<string, unknown>, mustSend: boolean): { count: number; since?: number; note?: string } {
    const { max, perMs } = rule.throttle!;
    const { key } = keyOf(rule.throttle!.key, context);
    const t = this.throttles.get(JSON.stringify([d.rule, d.destination, key]))!;
    const cur = t.now;
    t.changed = true;
    if (mustSend || !cur || cur.periodStart + perMs <= this.now || cur.sent < max) {
      const report = { count: cur?.held ?? 0, ...(cur?.heldSince !== undefined ? { since: cur.heldSince } : {}) };
      const fresh = !cur || cur.periodStart + perMs <= this.now;
      t.now = { rule: d.rule, destination: d.destination, key, periodStart: fresh ? this.now : cur!.periodStart, sent: fresh ? 1 : cur!.sent + 1, held: 0 };
      return report;
    }
    Object.assign(cur, { held: cur.held + 1, heldSince: cur.heldSince ?? this.now });
    const until = new Date(cur.periodStart + perMs).toISOString();
    const what = t.label ? ` for ${t.label}` : '';
    return { count: 0, note: `held back by throttle: at most ${max} per ${formatDuration(perMs)}${what}; counted in the next message (not before ${until})` };
  }

  /** The state writes, each guarded by the version it was decided on. */
  private effects(): Statement[] {
    const out: Statement[] = [];
    for (const t of this.throttles.values()) if (t.changed && t.now) out.push(...writeThrottle(t.before, { ...t.now, label: t.label }));
    for (const t of this.incidents.values()) {
      if (t.cancelStored > 0) out.push(...suppressHeldCloses(t.now!.name, t.now!.key, t.cancelStored, `damped: incident ${t.now!.name} reopened within its flap time; this close is not sent`));
      if (t.changed && t.now) out.push(...writeIncident(t.before, { ...t.now, label: t.label }));
    }
    return out;
  }
}

const eventIdOf = (context: Record<string, unknown>) => canonicalEventId(String((context.event as { events_id?: unknown } | undefined)?.events_id ?? ''));
