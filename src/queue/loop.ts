import { afterIo } from './schedule.ts';

export interface WorkLoopOptions {
  /** Longest sleep when idle: how soon work made by another process (a CLI replay) is noticed. */
  pollMs?: number;
  now?: () => number;
  onError: (e: unknown) => void;
}

/**
 * Runs a step of background work whenever notified, one step at a time; notifications during a
 * step run it once more afterwards. The step says when it wants to run next (an epoch time in
 * ms, `0` for "as soon as I/O had its turn"), or nothing to sleep until notified or polled.
 */
export class WorkLoop {
  private running = false;
  private again = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
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
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.running = true;
    let next: number | undefined;
    try {
      do {
        this.again = false;
        next = await this.step();
      } while (this.again && !this.stopped);
    } catch (e) {
      this.options.onError(e);
      next = this.now() + 1_000;
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (next === 0) return afterIo(() => this.notify());
    const poll = this.now() + (this.options.pollMs ?? 1_000);
    const at = next === undefined ? poll : Math.min(next, poll);
    this.timer = setTimeout(() => this.notify(), Math.max(0, at - this.now()));
    (this.timer as { unref?: () => void }).unref?.();
  }
}
