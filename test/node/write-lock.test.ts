import { describe, expect, it } from 'vitest';
import { sharedWriteLock } from '../../src/node/write-lock.ts';
import { runTsxWorker, sourceUrl } from '../support/tsx-worker.ts';

const ROUNDS = 20_000;
const THREADS = 3;

/**
 * A thread that, ROUNDS times, holding the lock, reads a shared counter, dawdles, and writes it
 * back plus one: without mutual exclusion, updates get lost.
 */
function startCounter(lock: SharedArrayBuffer, counter: SharedArrayBuffer, ready: SharedArrayBuffer): Promise<void> {
  return runTsxWorker(
    `const { sharedWriteLock } = await import(${sourceUrl('node/write-lock.ts')});
    const lock = sharedWriteLock(workerData.lock);
    const counter = new Int32Array(workerData.counter);
    // All start together, once every thread has loaded.
    const ready = new Int32Array(workerData.ready);
    Atomics.add(ready, 0, 1);
    Atomics.notify(ready, 0);
    for (let n = Atomics.load(ready, 0); n < ${THREADS}; n = Atomics.load(ready, 0)) Atomics.wait(ready, 0, n);
    for (let i = 0; i < ${ROUNDS}; i++) lock.hold(() => { const v = counter[0]; for (let k = 0; k < 50; k++) Math.sqrt(k); counter[0] = v + 1; });
    parentPort.postMessage('done');`,
    { lock, counter, ready },
  );
}

describe('the write lock shared by the server threads', () => {
  it('lets one thread in at a time', async () => {
    const lock = sharedWriteLock();
    const [counter, ready] = [new SharedArrayBuffer(4), new SharedArrayBuffer(4)];
    await Promise.all(Array.from({ length: THREADS }, () => startCounter(lock.buffer, counter, ready)));
    expect(new Int32Array(counter)[0]).toBe(THREADS * ROUNDS);
  });

  it('runs what it holds and gives back its result, also after an error', () => {
    const lock = sharedWriteLock();
    expect(() => lock.hold(() => { throw new Error('rolled back'); })).toThrow('rolled back');
    expect(lock.hold(() => 42)).toBe(42);
  });
});
