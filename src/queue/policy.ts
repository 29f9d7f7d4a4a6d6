import type { SendResult } from '../channels/channel.ts';
import { counted } from '../words.ts';

/** How long and how often a delivery is tried. */
export interface RetryPolicy {
  /** First retry after about this long; each next one waits twice as long. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A delivery not sent this long after the event arrived is dead. */
  readonly maxAgeMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 10 * 60_000, maxAgeMs: 24 * 3_600_000 };

export type NextState =
  | { status: 'delivered'; info?: string }
  | { status: 'pending'; nextAt: number; reason: string }
  | { status: 'dead'; reason: string };

/**
 * What becomes of a delivery after an attempt. Backoff is exponential with jitter (half fixed, half
 * random) so that retries after an outage do not arrive together; a Retry-After from the far end is
 * honoured exactly, never shortened. A delivery is dead once it has failed at its maximum age: the
 * last try is made at that age rather than given up when the backoff would pass it.
 */
export function nextState(
  result: SendResult,
  attempts: number,
  createdAt: number,
  now: number,
  policy: RetryPolicy = DEFAULT_POLICY,
  random: () => number = Math.random,
): NextState {
  if (result.ok) return { status: 'delivered', ...(result.info ? { info: result.info } : {}) };
  if (!result.retry) return { status: 'dead', reason: result.reason };
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.ceil(backoff / 2 + (random() * backoff) / 2);
  // One shorter than the first step of the backoff (0, or a date already past) would make a tight
  // loop of attempts, thousands a second: the backoff applies instead, which is never shorter.
  const asked = result.retryAfterMs !== undefined && result.retryAfterMs >= policy.baseDelayMs ? result.retryAfterMs : undefined;
  const nextAt = now + (asked ?? Math.max(result.retryAfterMs ?? 0, jittered));
  const deadline = createdAt + policy.maxAgeMs;
  if (nextAt <= deadline) return { status: 'pending', nextAt, reason: result.reason };
  if (asked !== undefined) {
    return { status: 'dead', reason: `${result.reason}; it asked to be tried again in ${formatAge(asked)}, after the maximum age of ${formatAge(policy.maxAgeMs)}` };
  }
  if (now < deadline) return { status: 'pending', nextAt: deadline, reason: result.reason };
  return { status: 'dead', reason: `gave up after ${counted(attempts, 'attempt')} over ${formatAge(now - createdAt)}: ${result.reason}` };
}

function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
