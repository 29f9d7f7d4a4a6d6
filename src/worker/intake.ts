import type { Queue } from '@cloudflare/workers-types/index.ts';
import type { Intake, ReceivedEvent } from '../http/app.ts';
import type { Logger } from '../log.ts';
import { newEvent } from '../queue/intake.ts';
import type { Store } from '../queue/store.ts';
import type { WorkMessage } from './env.ts';

/**
 * Stores each event in D1 before the 200, then queues it for routing. Should the queue refuse, the
 * event is stored all the same and the sweep (a cron trigger) routes it within minutes.
 */
export class QueueIntake implements Intake {
  constructor(
    private readonly store: Store,
    private readonly queue: Queue<WorkMessage>,
    private readonly idempotencyWindowMs: number,
    private readonly log: Logger,
  ) {}

  async accept(received: ReceivedEvent): Promise<{ duplicate?: boolean }> {
    const [outcome] = await this.store.accept([newEvent(received)], this.idempotencyWindowMs);
    if (outcome?.duplicateOf) return { duplicate: true };
    try {
      await this.queue.send({ kind: 'route', event: received.id });
    } catch (e) {
      this.log.warn('stored an event but could not queue it; the sweep will route it', { event: received.id, error: (e as Error).message });
    }
    return {};
  }
}
