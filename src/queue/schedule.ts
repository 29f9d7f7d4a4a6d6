/**
 * Runs `fn` after the I/O callbacks of this turn of the event loop: every request that arrived in
 * the same turn joins one commit. setImmediate where the runtime has it (Node), else a zero timeout.
 */
export const afterIo: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => void (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(fn)
    : (fn) => void setTimeout(fn, 0);
