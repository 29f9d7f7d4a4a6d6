import type { Planner } from '../deliver/plan.ts';
import type { Intake, ReceivedEvent } from '../http/app.ts';
import { canonicalJson, fingerprint } from './fingerprint.ts';
import { afterIo } from './schedule.ts';
import type { NewEvent, Store } from './store.ts';

interface Waiting {
  event: NewEvent;
  resolve: (v: { rules: number; duplicate?: boolean }) => void;
  reject: (e: unknown) => void;
}

export interface DurableIntakeOptions {
  /** The same payload again within this window is acknowledged and not delivered twice. 0: off. */
  idempotencyWindowMs: number;
  /** Called after a commit that queued deliveries, so delivery starts at once. */
  committed?: () => void;
}

/**
 * Routes each event, then commits it with its deliveries before the caller answers 200. Requests
 * arriving together share one commit (group commit), so durability costs little throughput.
 */
export class DurableIntake implements Intake {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly planner: () => Planner,
    private readonly options: DurableIntakeOptions,
  ) {}

  accept(received: ReceivedEvent): Promise<{ rules: number; duplicate?: boolean }> {
    const plan = this.planner().plan(received);
    const canonical = canonicalJson(received.envelope);
    const event: NewEvent = {
      id: received.id,
      eventId: received.eventId,
      objectId: String(received.envelope.event.object_id),
      receivedAt: received.receivedAt,
      raw: received.raw,
      canonical,
      fingerprint: fingerprint(canonical),
      plan,
    };
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        afterIo(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    let queued = false;
    try {
      const outcomes = await this.store.accept(
        batch.map((w) => w.event),
        this.options.idempotencyWindowMs,
      );
      batch.forEach((w, i) => {
        const rules = w.event.plan.matched.length;
        if (outcomes[i]!.duplicateOf) return w.resolve({ rules, duplicate: true });
        queued ||= w.event.plan.deliveries.length > 0;
        w.resolve({ rules });
      });
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.scheduled = false;
      // Arrivals during an asynchronous commit wait for the next one.
      if (this.queue.length > 0) {
        this.scheduled = true;
        afterIo(() => void this.flush());
      }
    }
    if (queued) this.options.committed?.();
  }
}
