import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkLoop } from '../../src/queue/loop.ts';

// Fake timers: the loop's waits are asserted to the millisecond without sleeping.
beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'] }));
afterEach(() => vi.useRealTimers());

/** A loop whose steps are counted and return what `next` says. */
function countedLoop(options: { gatherMs?: number }, next: (n: number) => number | undefined = () => undefined) {
  const starts: number[] = [];
  const loop = new WorkLoop(async () => next(starts.push(Date.now())), { ...options, pollMs: 60_000, onError: (e) => { throw e; } });
  return { loop, starts };
}

describe('WorkLoop', () => {
  it('runs a step at once when notified after a quiet spell', async () => {
    const { loop, starts } = countedLoop({ gatherMs: 5 });
    const t0 = Date.now();
    loop.notify();
    expect(starts).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(100);
    loop.notify();
    expect(starts).toEqual([t0, t0 + 100]);
    loop.stop();
  });

  it('takes the notifications that come within gatherMs of a step in one step, when that time is up', async () => {
    const { loop, starts } = countedLoop({ gatherMs: 5 });
    const t0 = Date.now();
    loop.notify();
    await vi.advanceTimersByTimeAsync(1);
    for (let i = 0; i < 10; i++) loop.notify();
    await vi.advanceTimersByTimeAsync(3);
    expect(starts).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([t0, t0 + 5]);
    await vi.advanceTimersByTimeAsync(50);
    expect(starts).toHaveLength(2);
    loop.stop();
  });

  it('gathers what is notified while a step runs for the step after it', async () => {
    let finish!: () => void;
    const starts: number[] = [];
    const loop = new WorkLoop(
      () => {
        starts.push(Date.now());
        return new Promise<undefined>((done) => (finish = () => done(undefined)));
      },
      { gatherMs: 5, pollMs: 60_000, onError: (e) => { throw e; } },
    );
    const t0 = Date.now();
    loop.notify();
    await vi.advanceTimersByTimeAsync(2);
    loop.notify();
    loop.notify();
    finish();
    await vi.advanceTimersByTimeAsync(2);
    expect(starts).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([t0, t0 + 5]);
    finish();
    loop.stop();
  });

  it('goes on at once, without gathering, when a step left work waiting', async () => {
    const { loop, starts } = countedLoop({ gatherMs: 5 }, (n) => (n < 3 ? 0 : undefined));
    const t0 = Date.now();
    loop.notify();
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toHaveLength(3);
    expect(Math.max(...starts)).toBeLessThan(t0 + 5);
    loop.stop();
  });

  it('runs a step per notification when it gathers nothing (the default)', async () => {
    const { loop, starts } = countedLoop({});
    for (let i = 0; i < 3; i++) {
      loop.notify();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(starts).toHaveLength(3);
    loop.stop();
  });

  it('wakes when a step asked, and polls when it asked nothing', async () => {
    const { loop, starts } = countedLoop({ gatherMs: 5 }, (n) => (n === 1 ? Date.now() + 250 : undefined));
    const t0 = Date.now();
    loop.notify();
    await vi.advanceTimersByTimeAsync(250);
    expect(starts).toEqual([t0, t0 + 250]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(starts).toEqual([t0, t0 + 250, t0 + 60_250]);
    loop.stop();
  });
});
