// Random per process, so ids from two processes (or two runs) never collide; a counter within it.
// Drawn on first use: Workers allow no random values at module scope.
let instance: string | undefined;
let counter = 0;

/**
 * A received event's id: time-ordered (sorts by arrival), unique without coordination, URL-safe.
 * `0mwyebt0k-1c626892000a`
 */
export function newEventId(now = Date.now()): string {
  instance ??= Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  counter = (counter + 1) % 0x1000000;
  return `${now.toString(36).padStart(9, '0')}-${instance}${counter.toString(16).padStart(6, '0')}`;
}
