import { parseEnvelope } from '../events/envelope.ts';

/**
 * A parsed number that may not be what was sent: an integer past 2^53 (its last digits are lost),
 * or one out of range (1e400 parses as Infinity, which JSON writes as null). A fraction's lost
 * digits cannot be told from its value, so fractions compare as values.
 */
const mayHaveChanged = (n: number) => !Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n));

/**
 * JSON with object keys sorted, so equal payloads give equal text whatever VCS's key order.
 * `changed` is called for each number that may not be what was sent (above).
 */
export function canonicalJson(value: unknown, changed?: () => void): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, changed)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], changed)}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value === 'number' && mayHaveChanged(value)) changed?.();
  return JSON.stringify(value) ?? 'null';
}

// The JSON text's strings (skipped) and number literals (captured).
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Significant digits of a number literal: `12300` and `1.23e4` have 3. */
const significantDigits = (literal: string) => literal.replace(/[eE].*$/, '').replace(/\D/g, '').replace(/^0+|0+$/g, '').length;

/**
 * The number literals of a JSON text that parsing changed: out of range, or an integer with more
 * digits than a double keeps (`1e20` is held exactly, `12345678901234567891` is not). Sorted, since
 * a repeat may put its keys in another order.
 */
function changedLiterals(raw: string): string[] {
  const found: string[] = [];
  for (const [, literal] of raw.matchAll(STRING_OR_NUMBER)) {
    if (literal === undefined) continue;
    const value = Number(literal);
    if (mayHaveChanged(value) && (!Number.isFinite(value) || significantDigits(literal) > 15)) found.push(literal);
  }
  return found.sort();
}

/**
 * What recognises a payload's repeats: its canonical JSON and, when parsing changed some of its
 * numbers, those numbers as sent. Two events that differ only past a double's precision (ids of 19
 * digits) are two events, not one delivered and the other taken for its duplicate.
 */
export function payloadCanonical(envelope: unknown, raw: string): string {
  let changed = false;
  const canonical = canonicalJson(envelope, () => (changed = true));
  if (!changed) return canonical;
  const literals = changedLiterals(raw);
  return literals.length === 0 ? canonical : `${canonical}\n${literals.join(' ')}`;
}

/**
 * A 53-bit hash (cyrb53) of a payload's canonical text: a fast index for finding duplicates. A match
 * is confirmed by comparing the payloads themselves, so a collision can never drop an event.
 */
export function fingerprint(canonical: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < canonical.length; i++) {
    const ch = canonical.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * The canonical JSON of a stored body's envelope (event.dt, events_id, object_id and data), as it
 * was computed when the body arrived: compared raw, a body with any other field (top-level or in
 * `event`) would never equal its own repeat, and would be delivered twice.
 */
export function storedCanonical(raw: string): string | undefined {
  const parsed = parseEnvelope(raw);
  return parsed.ok ? payloadCanonical(parsed.value, raw) : undefined;
}
