import type { Planner } from '../deliver/plan.ts';
import { releaseDue } from '../hold/release.ts';
import type { Logger } from '../log.ts';
import { WorkLoop } from './loop.ts';
import type { Store } from './store.ts';

export interface ReleaseStageOptions {
  log: Logger;
  /** Called when deliveries became sendable, so that sending starts at once. */
  released: () => void;
  now?: () => number;
  /** Longest sleep: how soon a change made by another process is noticed. */
  pollMs?: number;
}

/**
 * Releases groups and held deliveries when they fall due (hold/release.ts), sleeping until the next
 * one does. What was held before a restart is released after it, at the same time.
 */
export class ReleaseStage {
  private readonly loop: WorkLoop;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly planner: () => Planner,
    private readonly options: ReleaseStageOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.loop = new WorkLoop(() => this.step(), {
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      now: this.now,
      onError: (e) => options.log.error('could not release held messages; retrying', { error: (e as Error).message }),
    });
  }

  /** Looks for what is due now (after routing held something, and at start). */
  notify(): void {
    this.loop.notify();
  }

  stop(): void {
    this.loop.stop();
  }

  private async step(): Promise<number | undefined> {
    const now = this.now();
    const released = await releaseDue(this.store, this.planner(), now, this.options.log);
    if (released.deliveries.length > 0) this.options.released();
    if (released.more) return 0;
    const next = await this.store.nextHold();
    if (next === undefined || next > now) return next;
    // Still due: released just now and more came due meanwhile (look again at once), or not
    // releasable yet (being released by another process): look again in a moment, not in a loop.
    return released.deliveries.length > 0 ? 0 : now + 1_000;
  }
}
