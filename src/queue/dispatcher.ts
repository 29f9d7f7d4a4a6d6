import type { SendResult } from '../channels/channel.ts';
import type { Destination } from '../config/config.ts';
import { AttemptLog } from '../deliver/attempt-log.ts';
import { sendOnce, settleAttempt } from '../deliver/send.ts';
import type { Connection } from '../deliver/senders.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_POLICY, type RetryPolicy } from './policy.ts';
import { WorkLoop } from './loop.ts';
import { afterIo } from './schedule.ts';
import type { AttemptRecord, DueDelivery, Store } from './store.ts';

/** How often to look for deliveries whose destination left the rules. */
const ORPHAN_CHECK_MS = 10_000;
/** How soon to try again to record results the store refused. */
const RECORD_RETRY_MS = 1_000;

/** What the dispatcher sends with: the current destinations and their connections (hot reload swaps them). */
export interface Routes {
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly connections: ReadonlyMap<string, Connection>;
}

export interface DispatcherOptions {
  log: Logger;
  policy?: RetryPolicy;
  now?: () => number;
  random?: () => number;
  /** Longest sleep while idle: how soon a replay made by another process is noticed. */
  pollMs?: number;
}

/**
 * Sends pending deliveries from the store: per-destination concurrency, per-channel pacing, retries
 * with backoff, and a final state for each delivery recorded with every attempt.
 */
export class Dispatcher {
  private readonly inflight = new Set<number>();
  private readonly perDestination = new Map<string, number>();
  /** Pacing key → the earliest time the next message may go. */
  private readonly pacers = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private results: Array<{ record: AttemptRecord; destination: string }> = [];
  /** Destinations a Retry-After holds back, until when: kept in the store too, so that a restart keeps to it. */
  private postponed = new Map<string, number>();
  private flushScheduled = false;
  private stopped = false;
  private holdsRead = false;
  private nextOrphanCheck = 0;
  private readonly loop: WorkLoop;
  private readonly now: () => number;
  private readonly policy: RetryPolicy;
  private readonly attempts: AttemptLog;

  constructor(
    private readonly store: Store,
    private readonly routes: () => Routes,
    private readonly options: DispatcherOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.attempts = new AttemptLog(options.log);
    this.loop = new WorkLoop(() => this.step(), {
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      now: this.now,
      onError: (e) => options.log.error('dispatcher could not read the outbox; retrying', { error: (e as Error).message }),
    });
  }

  /** Looks for due deliveries now (after a commit, a replay, or at start). */
  notify(): void {
    this.loop.notify();
  }

  /** Stops taking work, waits up to `graceMs` for sends in flight, records their results. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.sends]), new Promise((r) => (timeout = setTimeout(r, graceMs)))]);
    clearTimeout(timeout);
    // Whatever is still in flight stays pending in the store and is sent after the restart.
    await this.flush();
  }

  /** Starts what is due and may start; says when to look again. */
  private async step(): Promise<number | undefined> {
    const { destinations, connections } = this.routes();
    if (!this.holdsRead) await this.readHolds(destinations);
    await this.buryOrphans(destinations);
    for (const dest of destinations.values()) {
      const now = this.now();
      const free = dest.kind.concurrency(dest.settings) - (this.perDestination.get(dest.name) ?? 0);
      if (free <= 0) continue;
      const pace = dest.kind.pacing?.(dest.settings);
      if (pace && (this.pacers.get(pace.key) ?? 0) > now) continue;
      const due = await this.store.due(dest.name, now, pace ? 1 : free, this.inflight);
      for (const d of due) this.launch(dest, d, connections.get(dest.name), pace);
    }
    const now = this.now();
    const next = await this.store.nextDue();
    if (next !== undefined && next > now) return next;
    // Work already due but held back is woken by a pacer, or by a completion (which notifies).
    const pacers = [...this.pacers.values()].filter((t) => t > now);
    return pacers.length ? Math.min(...pacers) : undefined;
  }

  /**
   * A Retry-After that came before a restart holds back its channel still: the deliveries waiting
   * then were postponed in the store, and those routed since are held back by its pacer.
   */
  private async readHolds(destinations: ReadonlyMap<string, Destination>): Promise<void> {
    for (const [name, until] of await this.store.destinationHolds(this.now())) {
      const dest = destinations.get(name);
      const pace = dest?.kind.pacing?.(dest.settings);
      if (pace) this.pacers.set(pace.key, Math.max(this.pacers.get(pace.key) ?? 0, until));
    }
    this.holdsRead = true;
  }

  /**
   * Deliveries for a destination the rules no longer have (a reload removed it) would wait forever:
   * they are given up on, so that they show as dead and can be replayed once it is back.
   */
  private async buryOrphans(destinations: ReadonlyMap<string, Destination>): Promise<void> {
    const now = this.now();
    if (now < this.nextOrphanCheck) return;
    this.nextOrphanCheck = now + ORPHAN_CHECK_MS;
    for (const name of await this.store.pendingDestinations()) {
      if (destinations.has(name)) continue;
      const orphans = await this.store.due(name, Number.MAX_SAFE_INTEGER, 500, this.inflight);
      const records = await Promise.all(
        orphans.map(async (d) => settleAttempt(d, await sendOnce(d, undefined, undefined, this.options.log), now, this.policy, this.attempts).record),
      );
      await this.store.record(records);
    }
  }

  private launch(dest: Destination, d: DueDelivery, conn: Connection | undefined, pace?: { key: string; intervalMs: number }): void {
    this.inflight.add(d.id);
    this.perDestination.set(dest.name, (this.perDestination.get(dest.name) ?? 0) + 1);
    if (pace) this.pacers.set(pace.key, this.now() + pace.intervalMs);
    const attempt = sendOnce(d, dest, conn, this.options.log).then((result) => this.settle(dest, d, result, pace));
    this.sends.add(attempt);
    void attempt.finally(() => this.sends.delete(attempt));
  }

  private settle(dest: Destination, d: DueDelivery, result: SendResult, pace?: { key: string }): void {
    const at = this.now();
    if (!result.ok && result.retryAfterMs !== undefined && pace) {
      // The far end said when it takes messages again: everything for that channel waits.
      this.pacers.set(pace.key, Math.max(this.pacers.get(pace.key) ?? 0, at + result.retryAfterMs));
      this.postpone(dest.name, at + result.retryAfterMs);
    }
    const { record } = settleAttempt(d, result, at, this.policy, this.attempts, this.options.random);
    this.results.push({ destination: dest.name, record });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      afterIo(() => void this.flush());
    }
  }

  private postpone(destination: string, until: number): void {
    this.postponed.set(destination, Math.max(this.postponed.get(destination) ?? 0, until));
  }

  /** Records finished attempts in one transaction, then frees their places. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.results;
    const postponed = this.postponed;
    this.results = [];
    this.postponed = new Map();
    if (batch.length === 0) return;
    try {
      await this.store.record(batch.map((b) => b.record));
      for (const [destination, until] of postponed) await this.store.postpone(destination, until);
    } catch (e) {
      // Not recorded (the database is locked, the disk full): kept, and recorded later. Their
      // places stay taken meanwhile, so that what was sent is not sent again; only a stop of the
      // process before then leaves them pending, to go out again after the restart.
      this.options.log.error('could not record delivery results; trying again shortly', { error: (e as Error).message });
      this.results = [...batch, ...this.results];
      for (const [destination, until] of postponed) this.postpone(destination, until);
      if (!this.stopped) {
        this.flushScheduled = true;
        setTimeout(() => void this.flush(), RECORD_RETRY_MS).unref?.();
      }
      return;
    }
    for (const { record, destination } of batch) {
      this.inflight.delete(record.deliveryId);
      this.perDestination.set(destination, (this.perDestination.get(destination) ?? 1) - 1);
    }
    this.notify();
  }
}
