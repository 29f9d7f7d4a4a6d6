/**
 * A received event's id: time-ordered (sorts by arrival), unique without coordination, URL-safe.
 * `01JJ3Q8W5X-3f9a2c1b7d4e`
 */
export function newEventId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(6));
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${now.toString(36).padStart(9, '0')}-${hex}`;
}
