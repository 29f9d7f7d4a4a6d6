import { closest } from '../config/did-you-mean.ts';

/** A value whose shape is not known (enrichment, fields VCS does not document): any path under it is accepted. */
export const ANY: unique symbol = Symbol('any');

/** Where a path leads in a set of sample values. */
export type Resolved =
  | { kind: 'found'; values: unknown[] }
  /** Somewhere on the way the shape is not known: nothing can be said. */
  | { kind: 'unknown' }
  /** In none of the samples; `suggestion` is the closest path that is. */
  | { kind: 'missing'; suggestion?: string[] };

/**
 * Follows `parts` (a Handlebars or JSON-logic path, split) through every sample value. A path is
 * missing only when every sample that could have it has been looked at and none does.
 */
export function resolvePath(values: readonly unknown[], parts: readonly string[]): Resolved {
  let current = [...values];
  let unknown = values.length === 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next: unknown[] = [];
    const keys = new Set<string>();
    for (const v of current) {
      const step = child(v, part);
      if (step === ANY) unknown = true;
      else if ('value' in step) next.push(step.value);
      else step.keys.forEach((k) => keys.add(k));
    }
    if (next.length === 0) {
      if (unknown || current.length === 0) return { kind: 'unknown' };
      const best = closest(part, keys);
      return { kind: 'missing', ...(best !== undefined ? { suggestion: [...parts.slice(0, i), best, ...parts.slice(i + 1)] } : {}) };
    }
    current = next;
  }
  return unknown && current.length === 0 ? { kind: 'unknown' } : { kind: 'found', values: current };
}

function child(v: unknown, part: string): { value: unknown } | { keys: readonly string[] } | typeof ANY {
  // A null in a sample (an open-ended subscription's stop_dt) may be an object in another event.
  if (v === ANY || v === null || v === undefined) return ANY;
  if (Array.isArray(v)) {
    if (part === 'length') return { value: v.length };
    if (/^\d+$/.test(part)) return Number(part) < v.length ? { value: v[Number(part)] } : ANY;
    return { keys: [] };
  }
  if (typeof v === 'object') return Object.hasOwn(v, part) ? { value: (v as Record<string, unknown>)[part] } : { keys: Object.keys(v) };
  if (typeof v === 'string' && part === 'length') return { value: v.length };
  return { keys: [] };
}

/** Keeps the sample values in which `parts` is truthy (or falsy), as {{#if}} and {{else}} see them; unknown ones stay. */
export function whereTruthy(values: readonly unknown[], parts: readonly string[], truthy: boolean): unknown[] {
  return values.filter((v) => {
    let value: unknown = v;
    for (const part of parts) {
      const step = child(value, part);
      if (step === ANY) return true;
      if (!('value' in step)) return !truthy;
      value = step.value;
    }
    const isTruthy = Array.isArray(value) ? value.length > 0 : Boolean(value);
    return isTruthy === truthy;
  });
}
