/**
 * The Worker's dead-letter consumer on a real D1 database (workerd, through Miniflare): a message
 * the delivery queue gave up on is recorded, so that nothing acknowledged goes missing unseen.
 */
import type { Message, MessageBatch } from '@cloudflare/workers-types/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { d1Store } from '../../src/queue/drivers/d1.ts';
import { consumeDead } from '../../src/worker/consumer.ts';
import type { WorkerContext } from '../../src/worker/context.ts';
import type { DeadLetter } from '../../src/worker/env.ts';
import { commit, newEvent, tempD1 } from '../support/store.ts';

/** A batch as the queue hands it over, with what was acknowledged. */
function deadLetters(bodies: DeadLetter[], attempts: number) {
  const acked: DeadLetter[] = [];
  const messages = bodies.map(
    (body, i) =>
      ({ id: `m${i}`, timestamp: new Date(), attempts, body, ack: () => acked.push(body), retry: () => {} }) as unknown as Message<DeadLetter>,
  );
  return { batch: { queue: 'switchboard-dead-letters', messages } as unknown as MessageBatch<DeadLetter>, acked };
}

describe('the dead-letter queue consumer', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** A D1 store holding one event with one pending delivery. */
  async function onePending() {
    const { db, close } = await tempD1();
    cleanups.push(close);
    const store = d1Store(db);
    const event = newEvent({ destinations: ['hook'] });
    await commit(store, [event], 0);
    const [delivery] = await store.due('hook', Date.now(), 10, new Set());
    return { store, event, delivery: delivery! };
  }

  it('records a delivery the queue gave up on as dead, with why, and it can be replayed', async () => {
    const { store, event, delivery } = await onePending();
    const lines: string[] = [];
    const cx = { store, log: createLogger((l) => lines.push(l)) } as unknown as WorkerContext;

    const { batch, acked } = deadLetters(
      [
        { kind: 'deliver', delivery: delivery.id },
        { kind: 'route', event: event.id },
        { kind: 'dead', delivery: delivery.id, event: event.id, reason: 'invalid_auth' },
      ],
      101,
    );
    await consumeDead(batch, cx);

    expect(acked).toHaveLength(3);
    const explained = await store.explain(event.id);
    expect(explained?.status).toBe('dead');
    expect(explained?.deliveryDetails[0]).toMatchObject({ status: 'dead', lastError: 'the delivery queue gave up after 101 attempts' });
    expect(lines.join('\n')).toMatch(/ERROR delivery dead; replay it through the admin API .*reason="the delivery queue gave up after 101 attempts"/);
    expect(lines.join('\n')).toMatch(/ERROR an event could not be routed; the sweep tries again/);
    expect(await store.replay(event.id, Date.now())).toEqual([delivery.id]);
    expect((await store.explain(event.id))?.status).toBe('pending');
  });

  it('leaves a delivery that was sent meanwhile as it is', async () => {
    const { store, event, delivery } = await onePending();
    await store.record([{ deliveryId: delivery.id, at: Date.now(), ok: true, detail: 'sent', status: 'delivered' }]);

    const { batch, acked } = deadLetters([{ kind: 'deliver', delivery: delivery.id }], 101);
    await consumeDead(batch, { store, log: createLogger(() => {}) } as unknown as WorkerContext);

    expect(acked).toHaveLength(1);
    expect((await store.explain(event.id))?.status).toBe('delivered');
  });
});
