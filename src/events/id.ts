// Random per process, so ids from two processes (or two runs) never collide; a counter within it.
const instance = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
let counter = 0;

/**
 * A received event's id: time-ordered (sorts by arrival), unique without coordination, URL-safe.
 * `0mwyebt0k-1c626892000a`
 */
export function newEventId(now = Date.now()): string {
  counter = (counter + 1) % 0x1000000;
  return `${now.toString(36).padStart(9, '0')}-${instance}${counter.toString(16).padStart(6, '0')}`;
}
