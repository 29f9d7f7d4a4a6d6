/**
 * One writer at a time among the threads of this process that share the SQLite file (the HTTP
 * intake and the stages behind it). SQLite would serialise them too, but a connection that finds
 * the file locked sleeps a millisecond or more before it looks again; this wakes the next writer
 * the moment the lock is free.
 */
export interface WriteLock {
  /** Runs `fn` (synchronous: a better-sqlite3 transaction) holding the lock. Not reentrant. */
  hold<T>(fn: () => T): T;
  /** What another thread builds the same lock from (worker_threads shares it, not copies it). */
  readonly buffer: SharedArrayBuffer;
}

const FREE = 0;
const HELD = 1;

export function sharedWriteLock(buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)): WriteLock {
  const cell = new Int32Array(buffer);
  return {
    buffer,
    hold(fn) {
      while (Atomics.compareExchange(cell, 0, FREE, HELD) !== FREE) Atomics.wait(cell, 0, HELD);
      try {
        return fn();
      } finally {
        Atomics.store(cell, 0, FREE);
        Atomics.notify(cell, 0, 1);
      }
    },
  };
}
