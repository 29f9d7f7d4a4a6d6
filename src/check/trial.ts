import type { Config, Rule } from '../config/config.ts';
import type { PlannedDelivery, Planner } from '../deliver/plan.ts';
import type { VcsEvent } from '../events/envelope.ts';
import { windowFor } from '../hold/decide.ts';
import { formatDuration } from '../hold/duration.ts';
import { whyFalse, type FalsePart } from '../rules/explain.ts';

/** What one rule did with an event, and why. */
export interface RuleOutcome {
  readonly name: string;
  readonly index: number;
  readonly to: readonly string[];
  /** `not_taken`: none of its `events` is this event's id. */
  readonly status: 'matched' | 'skipped' | 'not_taken';
  readonly reason?: string;
  /** For a false condition: the parts of it that were false, with the values they saw. */
  readonly falseParts?: readonly FalsePart[];
  /** For a matched rule: how its messages may wait or be held back (groups, throttles, windows, incidents). */
  readonly holds?: readonly string[];
}

/** An event run through the rules and templates as the server would, sending nothing. */
export interface Trial {
  readonly eventId: string;
  readonly envelope: VcsEvent;
  /** Every rule of the file, in file order. */
  readonly rules: readonly RuleOutcome[];
  readonly deliveries: readonly PlannedDelivery[];
}

/** Routes and renders an event without sending it, explaining each rule's decision. */
export function tryEvent(planner: Planner, eventId: string, envelope: VcsEvent): Trial {
  const context = { event: envelope.event, data: envelope.data };
  const { matched, skipped } = planner.router.route(eventId, context);
  const skips = new Map(skipped.map((s) => [s.rule, s.reason]));
  const rules = planner.config.rules.map((rule): RuleOutcome => {
    const base = { name: rule.name, index: rule.index, to: rule.to };
    if (matched.includes(rule)) {
      const holds = holdsOf(planner.config, rule);
      return { ...base, status: 'matched', ...(holds.length > 0 ? { holds } : {}) };
    }
    const reason = skips.get(rule);
    if (reason === undefined) return { ...base, status: 'not_taken', reason: `does not take ${eventId}` };
    const falseParts = reason === 'condition is false' && rule.when !== undefined ? whyFalse(rule.when, context) : undefined;
    return { ...base, status: 'skipped', reason, ...(falseParts ? { falseParts } : {}) };
  });
  return { eventId, envelope, rules, deliveries: planner.plan({ eventId, envelope }).deliveries };
}

/**
 * A trial as `switchboard test --json` prints it for one payload, and `POST /api/test` answers:
 * `ok` is false when a template failed (its message shows the fallback that would be sent).
 */
export function trialJson(trial: Trial, source: string) {
  return {
    source,
    ok: !trial.deliveries.some((d) => d.renderError),
    eventId: trial.eventId,
    event: trial.envelope.event,
    rules: trial.rules,
    deliveries: trial.deliveries,
  };
}

/** What may happen to a rule's messages before they go, in words (switchboard test shows it). */
export function holdsOf(config: Config, rule: Rule): string[] {
  const out: string[] = [];
  if (rule.group) {
    const by = rule.group.by.length > 0 ? `by ${rule.group.by.join(', ')}` : 'all together';
    const wait = rule.group.waitMs > 0 ? `after ${formatDuration(rule.group.waitMs)}` : 'at once';
    out.push(`grouped ${by}: a group's first message ${wait}, then one digest per ${formatDuration(rule.group.intervalMs)}`);
  }
  if (rule.throttle) out.push(`throttled: at most ${rule.throttle.max} per ${formatDuration(rule.throttle.perMs)} per ${rule.throttle.key.join(', ')}`);
  const incident = rule.incident ? config.incidents.get(rule.incident) : undefined;
  if (incident) {
    const flap = incident.flapMs > 0 ? `; a close is held ${formatDuration(incident.flapMs)} for flap damping` : '';
    out.push(`incident ${incident.name} (opened by ${incident.opens.join(', ')}, closed by ${incident.closes.join(', ')}, replies in one thread${flap})`);
  }
  for (const name of rule.to) {
    const w = windowFor(rule, config.destinations.get(name));
    if (w) out.push(`to ${name} only within send window ${w.name} (${w.label})`);
  }
  return out;
}
