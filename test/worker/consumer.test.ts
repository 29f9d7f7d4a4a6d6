/**
 * The Worker's delivery consumer on a real D1 database (workerd, through Miniflare) and a real
 * webhook receiver: what it does with the messages of a batch.
 */
import type { Message, MessageBatch } from '@cloudflare/workers-types/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { channelKinds } from '../../src/channels/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import { connectDestinations } from '../../src/deliver/senders.ts';
import { silentLogger } from '../../src/log.ts';
import { d1Store } from '../../src/queue/drivers/d1.ts';
import { DEFAULT_POLICY } from '../../src/queue/policy.ts';
import { consumeWork } from '../../src/worker/consumer.ts';
import type { WorkerContext } from '../../src/worker/context.ts';
import type { WorkMessage } from '../../src/worker/env.ts';
import { compileTemplate } from '../../src/node/template-compiler.ts';
import { startHttpServer } from '../support/http-server.ts';
import { commit, newEvent, tempD1 } from '../support/store.ts';

/** A batch as the queue hands it over, with what was acknowledged and what was queued anew. */
function work(bodies: WorkMessage[]) {
  const acked: WorkMessage[] = [];
  const messages = bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body, ack: () => acked.push(body), retry: () => {} }) as unknown as Message<WorkMessage>);
  return { batch: { queue: 'switchboard-deliveries', messages } as unknown as MessageBatch<WorkMessage>, acked };
}

describe('the delivery queue consumer', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** One pending delivery to a webhook answering `status`, and a context to consume its messages with. */
  async function onePending(status: number) {
    const hook = await startHttpServer(() => ({ status }));
    cleanups.push(hook.close);
    const { db, close } = await tempD1();
    cleanups.push(close);
    const store = d1Store(db);
    const event = newEvent({ destinations: ['hook'] });
    await commit(store, [event], 0);
    const [delivery] = await store.due('hook', Date.now(), 10, new Set());
    const loaded = loadConfig(`destinations:\n  hook: { type: webhook, url: "${hook.url}/hook" }\nrules: []\n`, {
      file: 'rules.yaml', env: {}, kinds: channelKinds(), compile: compileTemplate, readFile: () => undefined,
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    // The queues are Cloudflare's: these record what the consumer queues.
    const queued: Array<{ body: unknown; delaySeconds?: number }> = [];
    const queue = {
      send: async (body: unknown, options?: { delaySeconds?: number }) => void queued.push({ body, ...options }),
      sendBatch: async (ms: Array<{ body: unknown }>) => void queued.push(...ms),
    };
    const cx = {
      store,
      log: silentLogger,
      config: loaded.config,
      connections: connectDestinations(loaded.config, {}, silentLogger),
      policy: DEFAULT_POLICY,
      env: { DELIVERIES: queue, DEAD_LETTERS: queue },
    } as unknown as WorkerContext;
    return { hook, store, event, delivery: delivery!, cx, queued };
  }

  it('sends a delivery once when two copies of its message come together (a replay\'s beside a retry\'s)', async () => {
    const { hook, store, event, delivery, cx } = await onePending(204);
    const { batch, acked } = work([{ kind: 'deliver', delivery: delivery.id }, { kind: 'deliver', delivery: delivery.id }]);
    await consumeWork(batch, cx);
    expect(hook.requests).toHaveLength(1);
    expect(acked).toHaveLength(2);
    expect((await store.explain(event.id))!.status).toBe('delivered');
  });

  it('queues a failed delivery\'s next try as a new message, so that the queue\'s max_retries never decides when it dies', async () => {
    const { hook, delivery, cx, queued } = await onePending(503);
    const { batch, acked } = work([{ kind: 'deliver', delivery: delivery.id }]);
    await consumeWork(batch, cx);
    expect(hook.requests).toHaveLength(1);
    expect(acked).toHaveLength(1);
    expect(queued).toEqual([{ body: { kind: 'deliver', delivery: delivery.id }, delaySeconds: expect.any(Number) }]);
  });
});
