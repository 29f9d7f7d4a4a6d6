import { describe, expect, it } from 'vitest';
import { nextState, type RetryPolicy } from '../../src/queue/policy.ts';

const POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 10_000, maxAgeMs: 60_000 };
const failed = { ok: false as const, retry: true, reason: 'HTTP 503' };

describe('the retry policy', () => {
  it('backs off exponentially, half fixed and half random, up to the cap', () => {
    const delay = (attempts: number, random: number) => {
      const next = nextState(failed, attempts, 0, 0, POLICY, () => random);
      return next.status === 'pending' ? next.nextAt : undefined;
    };
    expect([1, 2, 3, 4].map((n) => delay(n, 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((n) => delay(n, 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(delay(10, 0)).toBe(5_000);
    expect(delay(10, 1)).toBe(10_000);
  });

  it("waits exactly as long as the far end's Retry-After says, even beyond the backoff", () => {
    expect(nextState({ ...failed, retryAfterMs: 30_000 }, 1, 0, 0, POLICY, () => 0)).toEqual({ status: 'pending', nextAt: 30_000, reason: 'HTTP 503' });
  });

  it('backs off as usual when Retry-After is shorter than its first step: 0, or a date already past, would make a tight loop', () => {
    expect(nextState({ ...failed, retryAfterMs: 0 }, 1, 0, 0, POLICY, () => 0)).toEqual({ status: 'pending', nextAt: 500, reason: 'HTTP 503' });
    expect(nextState({ ...failed, retryAfterMs: 0 }, 4, 0, 0, POLICY, () => 1)).toEqual({ status: 'pending', nextAt: 8_000, reason: 'HTTP 503' });
    expect(nextState({ ...failed, retryAfterMs: 800 }, 1, 0, 0, POLICY, () => 0)).toEqual({ status: 'pending', nextAt: 800, reason: 'HTTP 503' });
  });

  it('gives up at once on a permanent error, and on a Retry-After past the maximum age, saying so', () => {
    expect(nextState({ ok: false, retry: false, reason: 'Slack error: channel_not_found' }, 1, 0, 0, POLICY)).toEqual({ status: 'dead', reason: 'Slack error: channel_not_found' });
    expect(nextState({ ...failed, retryAfterMs: 120_000 }, 1, 0, 0, POLICY)).toEqual({
      status: 'dead',
      reason: 'HTTP 503; it asked to be tried again in 2 min, after the maximum age of 1 min',
    });
  });

  it('makes the last try at the maximum age, not before, and gives up when that fails', () => {
    expect(nextState(failed, 3, 0, 59_000, POLICY, () => 0)).toEqual({ status: 'pending', nextAt: 60_000, reason: 'HTTP 503' });
    expect(nextState(failed, 4, 0, 60_000, POLICY, () => 0)).toEqual({ status: 'dead', reason: 'gave up after 4 attempts over 1 min: HTTP 503' });
    expect(nextState(failed, 1, 0, 60_000, POLICY, () => 0)).toEqual({ status: 'dead', reason: 'gave up after 1 attempt over 1 min: HTTP 503' });
  });

  it('counts a success as delivered, with what the far end said', () => {
    expect(nextState({ ok: true, info: 'ts=1.2' }, 1, 0, 0, POLICY)).toEqual({ status: 'delivered', info: 'ts=1.2' });
  });
});
