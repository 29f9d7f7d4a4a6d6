import { afterIo } from './schedule.ts';

export interface WorkLoopOptions {
  /** Longest sleep when idle: how soon work made by another process (a CLI replay) is noticed. */
  pollMs?: number;
  /**
   * Least time from the start of one step to the start of the next that a notification asks for.
   * A notification sooner waits for it, so that under load one step takes what many announced; the
   * first after a quiet spell runs at once.
   */
  gatherMs?: number;
  now?: () => number;
  onError: (e: unknown) => void;
}

/**
 * Runs a step of background work whenever notified, one step at a time; notifications during a
 * step run it once more afterwards. The step says when it wants to run next (an epoch time in
 * ms, `0` for "as soon as I/O had its turn": it left work waiting), or nothing to sleep until
 * notified or polled.
 */
export class WorkLoop {
  private running = false;
  private again = false;
  private stopped = false;
  private lastStart = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly now: () => number;

  constructor(
    private readonly step: () => Promise<number | undefined>,
    private readonly options: WorkLoopOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  notify(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const gatheredAt = this.lastStart + (this.options.gatherMs ?? 0);
    if (gatheredAt > this.now()) return this.wakeAt(gatheredAt, false);
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.clearTimer();
    this.running = true;
    this.again = false;
    this.lastStart = this.now();
    let next: number | undefined;
    try {
      next = await this.step();
    } catch (e) {
      this.options.onError(e);
      next = this.now() + 1_000;
      this.again = false;
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    // Work the step left waiting goes on at once; what was announced meanwhile, once gathered.
    if (next === 0) return afterIo(() => void this.run());
    if (this.again) return this.notify();
    const poll = this.now() + (this.options.pollMs ?? 1_000);
    this.wakeAt(next === undefined ? poll : Math.min(next, poll), true);
  }

  /** Runs a step at `at`, unless one is due sooner. A poll does not keep the process alive. */
  private wakeAt(at: number, poll: boolean): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.run();
    }, Math.max(0, at - this.now()));
    if (poll) (this.timer as { unref?: () => void }).unref?.();
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}
