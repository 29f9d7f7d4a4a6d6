import type { Intake, ReceivedEvent } from '../http/app.ts';
import { fingerprint, payloadCanonical } from './fingerprint.ts';
import { afterIo } from './schedule.ts';
import type { NewEvent, Store } from './store.ts';

interface Waiting {
  event: NewEvent;
  resolve: (v: { duplicate?: boolean }) => void;
  reject: (e: unknown) => void;
}

export interface DurableIntakeOptions {
  /** The same payload again within this window is acknowledged and not delivered twice. 0: off. */
  idempotencyWindowMs: number;
  /** Called after a commit of new (not duplicate) events, so that routing starts at once. */
  committed?: () => void;
}

/** A received event as the store keeps it, with what recognises its repeats. */
export function newEvent(received: ReceivedEvent): NewEvent {
  const canonical = payloadCanonical(received.envelope, received.raw);
  return {
    id: received.id,
    eventId: received.eventId,
    objectId: String(received.envelope.event.object_id),
    receivedAt: received.receivedAt,
    raw: received.raw,
    canonical,
    fingerprint: fingerprint(canonical),
  };
}

/**
 * Commits each event before the caller answers 200. Requests arriving together share one commit
 * (group commit), so durability costs little throughput. Routing happens afterwards.
 */
export class DurableIntake implements Intake {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly options: DurableIntakeOptions,
  ) {}

  accept(received: ReceivedEvent): Promise<{ duplicate?: boolean }> {
    const event = newEvent(received);
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    afterIo(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    let fresh = false;
    try {
      const outcomes = await this.store.accept(
        batch.map((w) => w.event),
        this.options.idempotencyWindowMs,
      );
      batch.forEach((w, i) => {
        if (outcomes[i]!.duplicateOf) return w.resolve({ duplicate: true });
        fresh = true;
        w.resolve({});
      });
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.scheduled = false;
      // Arrivals during an asynchronous commit wait for the next one.
      if (this.queue.length > 0) this.schedule();
    }
    if (fresh) this.options.committed?.();
  }
}
