import type { SendResult } from '../channels/channel.ts';
import type { Logger } from '../log.ts';
import type { NextState } from '../queue/policy.ts';
import type { DueDelivery } from '../queue/store.ts';

/** At most one line a destination about its failed attempts this often. */
const FAILURE_LINE_MS = 60_000;

interface Failing {
  /** When its last line about failed attempts was written. */
  lineAt: number;
  /** Failed attempts since then, not logged one by one. */
  unlogged: number;
  /** Logs them when the minute is over, after a success or a death within it. */
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The log lines of delivery attempts. While a destination is down, every attempt at its backlog
 * fails, and a line for each (183,000 in five minutes for 20,000 e-mails, then some thirty a second
 * for hours) buries everything else: its failed attempts are logged at most once a minute, each line
 * counting the ones not logged since the one before (`also_failed`), and once it sends again the
 * last count is logged as soon as its minute is over (by a timer: a destination that recovers sends
 * its backlog, then often nothing for hours). A destination failing now and then is held to
 * that minute too. Successes and dead deliveries are logged each: a dead one needs a replay.
 */
export class AttemptLog {
  private readonly failing = new Map<string, Failing>();

  constructor(
    private readonly log: Logger,
    private readonly lineMs = FAILURE_LINE_MS,
  ) {}

  settled(d: DueDelivery, result: SendResult, next: NextState, at: number): void {
    // Numbered as `explain` lists attempts: a replay goes on from the attempts before it.
    const fields = { event: d.eventId, rule: d.rule, destination: d.destination, attempt: d.tried + 1 };
    if (next.status === 'pending') return this.failed(d.destination, at, { ...fields, reason: next.reason, retry_in_ms: next.nextAt - at });
    if (next.status === 'dead') {
      this.log.error('delivery dead; replay it with `switchboard replay` (on Workers, POST /api/events/<id>/replay)', { ...fields, reason: next.reason });
    } else if (result.ok && result.missed) {
      this.log.warn('delivered, but not to every recipient; those are not tried again', { ...fields, missed: result.missed });
    } else {
      this.log.info('delivered', { ...fields, info: next.info });
    }
    this.quiet(d.destination, at);
  }

  private failed(destination: string, at: number, fields: Record<string, unknown>): void {
    const f = this.failing.get(destination);
    if (f && at - f.lineAt < this.lineMs) {
      f.unlogged++;
      return;
    }
    this.log.warn('delivery failed; will retry', { ...fields, also_failed: f?.unlogged || undefined });
    clearTimeout(f?.timer);
    this.failing.set(destination, { lineAt: at, unlogged: 0 });
  }

  /** After a success or a death: the failed attempts not logged yet, once their minute is over. */
  private quiet(destination: string, at: number): void {
    const f = this.failing.get(destination);
    if (!f) return;
    const over = f.lineAt + this.lineMs;
    if (at < over) {
      if (f.unlogged > 0 && !f.timer) {
        f.timer = setTimeout(() => this.failing.get(destination) === f && this.quiet(destination, over), over - at);
        f.timer.unref?.();
      }
      return;
    }
    clearTimeout(f.timer);
    if (f.unlogged > 0) {
      this.log.warn('delivery attempts failed and not logged one by one', { destination, also_failed: f.unlogged, since: new Date(f.lineAt).toISOString() });
    }
    this.failing.delete(destination);
  }
}
