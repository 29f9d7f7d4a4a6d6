import type { PlannedDelivery, Planner } from '../deliver/plan.ts';
import type { VcsEvent } from '../events/envelope.ts';
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
    if (matched.includes(rule)) return { ...base, status: 'matched' };
    const reason = skips.get(rule);
    if (reason === undefined) return { ...base, status: 'not_taken', reason: `does not take ${eventId}` };
    const falseParts = reason === 'condition is false' && rule.when !== undefined ? whyFalse(rule.when, context) : undefined;
    return { ...base, status: 'skipped', reason, ...(falseParts ? { falseParts } : {}) };
  });
  return { eventId, envelope, rules, deliveries: planner.plan({ eventId, envelope }).deliveries };
}
