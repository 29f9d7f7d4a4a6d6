/**
 * One writer at a time among the threads of this process that share the SQLite file (the HTTP
 * intake and the stages behind it). SQLite would serialise them too, but a connection that finds
 * the file locked sleeps a millisecond or more before it looks again; this wakes the next writer
 * the moment the lock is free. Writers are served in the order they asked (a ticket lock), so the
 * intake never waits behind more than the one transaction in progress.
 */
export interface WriteLock {
  /** Runs `fn` (synchronous: a better-sqlite3 transaction) holding the lock. Not reentrant. */
  hold<T>(fn: () => T): T;
  /** What another thread builds the same lock from (worker_threads shares it, not copies it). */
  readonly buffer: SharedArrayBuffer;
}

const NEXT_TICKET = 0;
const SERVING = 1;

export function sharedWriteLock(buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)): WriteLock {
  const cells = new Int32Array(buffer);
  return {
    buffer,
    hold(fn) {
      // Both counters wrap around together; only equality is compared.
      const ticket = Atomics.add(cells, NEXT_TICKET, 1);
      for (let serving = Atomics.load(cells, SERVING); serving !== ticket; serving = Atomics.load(cells, SERVING)) {
        Atomics.wait(cells, SERVING, serving);
      }
      try {
        return fn();
      } finally {
        Atomics.add(cells, SERVING, 1);
        Atomics.notify(cells, SERVING);
      }
    },
  };
}
