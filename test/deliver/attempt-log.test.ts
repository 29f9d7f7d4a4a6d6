import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import type { SendResult } from '../../src/channels/channel.ts';
import { AttemptLog } from '../../src/deliver/attempt-log.ts';
import { createLogger } from '../../src/log.ts';
import { nextState } from '../../src/queue/policy.ts';
import type { DueDelivery } from '../../src/queue/store.ts';

const down: SendResult = { ok: false, retry: true, reason: 'HTTP 503' };
const gone: SendResult = { ok: false, retry: false, reason: 'HTTP 404' };
const sent: SendResult = { ok: true };

/** An AttemptLog and its lines without their time stamps; `attempt` settles delivery `n` to `destination` at `at`. */
function setUp(lineMs = 60_000) {
  const lines: string[] = [];
  const log = new AttemptLog(createLogger((l) => lines.push(l.replace(/^\S+ /, ''))), lineMs);
  const attempt = (n: number, destination: string, result: SendResult, at: number) => {
    const d: DueDelivery = { id: n, eventId: `e${n}`, rule: 'r', destination, type: 'webhook', message: {}, attempts: 0, tried: 0, createdAt: 0, nextAt: at };
    log.settled(d, result, nextState(result, 1, at, at, undefined, () => 0), at);
  };
  return { lines, attempt };
}

describe('AttemptLog', () => {
  it("logs a destination's failed attempts once a minute, counting those it did not log", () => {
    const { lines, attempt } = setUp();
    for (let n = 1; n <= 500; n++) attempt(n, 'hook', down, n * 100);
    expect(lines).toEqual(['WARN delivery failed; will retry event=e1 rule=r destination=hook attempt=1 reason="HTTP 503" retry_in_ms=500']);
    attempt(601, 'hook', down, 60_100);
    expect(lines.at(-1)).toBe('WARN delivery failed; will retry event=e601 rule=r destination=hook attempt=1 reason="HTTP 503" retry_in_ms=500 also_failed=499');
    expect(lines).toHaveLength(2);
  });

  it('keeps each destination apart, and logs every success and every dead delivery', () => {
    const { lines, attempt } = setUp();
    attempt(1, 'hook', down, 1_000);
    attempt(2, 'desk', down, 1_001);
    attempt(3, 'hook', down, 1_002);
    attempt(4, 'hook', gone, 1_003);
    attempt(5, 'hook', sent, 1_004);
    expect(lines).toEqual([
      'WARN delivery failed; will retry event=e1 rule=r destination=hook attempt=1 reason="HTTP 503" retry_in_ms=500',
      'WARN delivery failed; will retry event=e2 rule=r destination=desk attempt=1 reason="HTTP 503" retry_in_ms=500',
      'ERROR delivery dead; replay it with `switchboard replay` (on Workers, POST /api/events/<id>/replay) event=e4 rule=r destination=hook attempt=1 reason="HTTP 404"',
      'INFO delivered event=e5 rule=r destination=hook attempt=1',
    ]);
  });

  it('logs the last count once the destination sends again and its minute is over; a failure after that is logged at once', () => {
    const { lines, attempt } = setUp();
    attempt(1, 'hook', down, 0);
    attempt(2, 'hook', down, 10_000);
    attempt(3, 'hook', down, 20_000);
    attempt(4, 'hook', sent, 30_000);
    expect(lines).toHaveLength(2);
    attempt(5, 'hook', sent, 60_000);
    expect(lines.slice(2)).toEqual([
      'INFO delivered event=e5 rule=r destination=hook attempt=1',
      'WARN delivery attempts failed and not logged one by one destination=hook also_failed=2 since=1970-01-01T00:00:00.000Z',
    ]);
    attempt(6, 'hook', sent, 60_001);
    attempt(7, 'hook', down, 60_002);
    expect(lines.slice(4)).toEqual([
      'INFO delivered event=e6 rule=r destination=hook attempt=1',
      'WARN delivery failed; will retry event=e7 rule=r destination=hook attempt=1 reason="HTTP 503" retry_in_ms=500',
    ]);
  });

  it('logs the last count when its minute is over though nothing is sent after the recovery', async () => {
    // On the real clock, with a line every 300 ms instead of every minute.
    const { lines, attempt } = setUp(300);
    const start = Date.now();
    attempt(1, 'hook', down, start);
    attempt(2, 'hook', down, start + 1);
    attempt(3, 'hook', sent, start + 2);
    expect(lines).toHaveLength(2);
    const count = await waitFor('the count', () => lines[2]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(300);
    expect(count).toBe(`WARN delivery attempts failed and not logged one by one destination=hook also_failed=1 since=${new Date(start).toISOString()}`);
    // Logged once: the next success says nothing of them.
    attempt(4, 'hook', sent, Date.now());
    expect(lines.slice(3)).toEqual(['INFO delivered event=e4 rule=r destination=hook attempt=1']);
  });

  it('warns of an e-mail delivered to some of its recipients only, naming those refused', () => {
    const { lines, attempt } = setUp();
    attempt(1, 'finance', { ok: true, missed: 'gone@x.example (550 5.1.1 no such user)' }, 1_000);
    expect(lines).toEqual(['WARN delivered, but not to every recipient; those are not tried again event=e1 rule=r destination=finance attempt=1 missed="gone@x.example (550 5.1.1 no such user)"']);
  });

  it('holds a destination that fails now and then to one line a minute about its failures', () => {
    const { lines, attempt } = setUp();
    for (let n = 1; n <= 100; n++) attempt(n, 'hook', n % 2 ? down : sent, n * 1_000);
    expect(lines.filter((l) => l.startsWith('WARN'))).toEqual([
      'WARN delivery failed; will retry event=e1 rule=r destination=hook attempt=1 reason="HTTP 503" retry_in_ms=500',
      'WARN delivery failed; will retry event=e61 rule=r destination=hook attempt=1 reason="HTTP 503" retry_in_ms=500 also_failed=29',
    ]);
    expect(lines.filter((l) => l.startsWith('INFO delivered'))).toHaveLength(50);
  });
});
