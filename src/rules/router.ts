import type { Config, Rule } from '../config/config.ts';
import { evaluate } from './condition.ts';
import { compilePattern } from './pattern.ts';

/** Why a rule that could take an event did not. */
export interface Skipped {
  readonly rule: Rule;
  readonly reason: string;
}

export interface RouteResult {
  readonly matched: readonly Rule[];
  readonly skipped: readonly Skipped[];
}

/** The evaluation context of a condition: `{event, data}` plus enrichment when present. */
export type ConditionContext = Readonly<Record<string, unknown>>;

const UNKNOWN_ID_CACHE = 1_000;

/**
 * Matches events to rules in file order. Rules are indexed by event id, so the cost of an event
 * grows with the rules that can take it, not with the size of the file.
 */
export class Router {
  private readonly index = new Map<string, readonly Rule[]>();
  private readonly unknownIndex = new Map<string, readonly Rule[]>();
  private readonly matchers: ReadonlyArray<{ rule: Rule; matches: (id: string) => boolean }>;

  constructor(config: Config) {
    this.matchers = config.rules.map((rule) => {
      const tests = rule.events.map(compilePattern);
      return { rule, matches: (id: string) => tests.some((t) => t(id)) };
    });
    for (const id of config.knownEvents) this.index.set(id, this.scan(id));
  }

  private scan(id: string): readonly Rule[] {
    return this.matchers.filter((m) => m.matches(id)).map((m) => m.rule);
  }

  /** The rules whose events take this id, in file order. */
  candidates(eventId: string): readonly Rule[] {
    const known = this.index.get(eventId);
    if (known) return known;
    let rules = this.unknownIndex.get(eventId);
    if (!rules) {
      // Unknown ids come from newer VCS versions, or from anyone who can reach the endpoint: bounded.
      if (this.unknownIndex.size >= UNKNOWN_ID_CACHE) this.unknownIndex.clear();
      rules = this.scan(eventId);
      this.unknownIndex.set(eventId, rules);
    }
    return rules;
  }

  /** Which rules take the event: the first match ends evaluation unless it says `continue: true`. */
  route(eventId: string, context: ConditionContext): RouteResult {
    const matched: Rule[] = [];
    const skipped: Skipped[] = [];
    const candidates = this.candidates(eventId);
    for (let i = 0; i < candidates.length; i++) {
      const rule = candidates[i]!;
      if (rule.when !== undefined) {
        const result = evaluate(rule.when, context);
        if ('error' in result) {
          skipped.push({ rule, reason: `condition failed: ${result.error}` });
          continue;
        }
        if (!result.value) {
          skipped.push({ rule, reason: 'condition is false' });
          continue;
        }
      }
      matched.push(rule);
      if (!rule.continue) {
        for (const later of candidates.slice(i + 1)) skipped.push({ rule: later, reason: `rule "${rule.name}" matched first and does not continue` });
        break;
      }
    }
    return { matched, skipped };
  }
}
