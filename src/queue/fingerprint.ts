import { parseEnvelope } from '../events/envelope.ts';

/** JSON with object keys sorted, so equal payloads give equal text whatever VCS's key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
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
  return parsed.ok ? canonicalJson(parsed.value) : undefined;
}
