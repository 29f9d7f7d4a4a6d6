/**
 * The Worker's delivery consumer on a real D1 database (workerd, through Miniflare) and a real
 * webhook receiver: what it does with the messages of a batch.
 */
import type { Message, MessageBatch } from '@cloudflare/workers-types/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { AttemptLog } from '../../src/deliver/attempt-log.ts';
import { connectDestinations } from '../../src/deliver/senders.ts';
import { silentLogger } from '../../src/log.ts';
import { d1Store } from '../../src/queue/drivers/d1.ts';
import { DEFAULT_POLICY } from '../../src/queue/policy.ts';
import { consumeWork } from '../../src/worker/consumer.ts';
import type { WorkerContext } from '../../src/worker/context.ts';
import type { WorkMessage } from '../../src/worker/env.ts';
import { startHttpServer } from '../support/http-server.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { commit, newEvent, tempD1 } from '../support/store.ts';
import { loadRules } from '../support/rules.ts';

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

  /**
   * Pending deliveries to `destination` (one per event), and a context to consume their messages
   * with: the rules file's destinations, connected with `env`.
   */
  async function pending(destinations: string, env: Record<string, string>, events = 1) {
    const { db, close } = await tempD1();
    cleanups.push(close);
    const store = d1Store(db);
    // Made for the destination's type, as routing makes them: a delivery of another type is dead.
    const type = /type: (\w+)/.exec(destinations)![1]!;
    const posted = Array.from({ length: events }, () => newEvent({ destinations: ['to'], type }));
    await commit(store, posted, 0);
    const deliveries = await store.due('to', Date.now(), 10, new Set());
    const config = loadRules(`destinations:\n  to: ${destinations}\nrules: []\n`, { env });
    // The queues are Cloudflare's: these record what the consumer queues.
    const queued: Array<{ body: unknown; delaySeconds?: number }> = [];
    const queue = {
      send: async (body: unknown, options?: { delaySeconds?: number }) => void queued.push({ body, ...options }),
      sendBatch: async (ms: Array<{ body: unknown }>) => void queued.push(...ms),
    };
    const cx = {
      store,
      log: silentLogger,
      attempts: new AttemptLog(silentLogger),
      config,
      connections: connectDestinations(config, env, silentLogger),
      policy: DEFAULT_POLICY,
      env: { DELIVERIES: queue, DEAD_LETTERS: queue },
    } as unknown as WorkerContext;
    return { store, events: posted, deliveries, cx, queued };
  }

  /** One pending delivery to a webhook answering `status`. */
  async function onePending(status: number) {
    const hook = await startHttpServer(() => ({ status }));
    cleanups.push(hook.close);
    const p = await pending(`{ type: webhook, url: "${hook.url}/hook" }`, {});
    return { ...p, hook, event: p.events[0]!, delivery: p.deliveries[0]! };
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

  it.each([
    ['paced', '{ type: slack, channel: "#desk" }'],
    ['not paced', '{ type: slack, channel: "#desk", pace_ms: 0 }'],
  ])('holds back a Slack channel\'s messages (%s) in later batches while a Retry-After lasts, and queues them for when it ends', async (_paced, destination) => {
    let answered429At = 0;
    const slack = await startSlackApi((_post, n) => {
      if (n > 1) return undefined;
      answered429At = Date.now();
      return { status: 429, headers: { 'retry-after': '3' }, body: { ok: false, error: 'ratelimited' } };
    });
    cleanups.push(slack.close);
    const { deliveries, cx, queued, store } = await pending(destination, { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url }, 2);
    const [first, second] = deliveries;
    await consumeWork(work([{ kind: 'deliver', delivery: first!.id }]).batch, cx);
    expect(slack.attempts).toHaveLength(1);

    // The next batch: its message finds the delivery not due, and goes when the Retry-After ends.
    const { batch, acked } = work([{ kind: 'deliver', delivery: second!.id }]);
    await consumeWork(batch, cx);
    expect(slack.attempts).toHaveLength(1);
    expect(acked).toHaveLength(1);
    const again = queued.filter((q) => (q.body as { delivery: number }).delivery === second!.id);
    expect(again).toHaveLength(1);
    expect(Date.now() + again[0]!.delaySeconds! * 1000).toBeGreaterThanOrEqual(answered429At + 3_000);

    // Routed after the 429 (another isolate, a later event), so not postponed with the others: it waits too.
    await commit(store, [newEvent({ destinations: ['to'], type: 'slack' })], 0);
    const [late] = await store.due('to', Date.now(), 10, new Set());
    await consumeWork(work([{ kind: 'deliver', delivery: late!.id }]).batch, cx);
    expect(slack.attempts).toHaveLength(1);
    const lateAgain = queued.filter((q) => (q.body as { delivery: number }).delivery === late!.id);
    expect(lateAgain).toHaveLength(1);
    expect(Date.now() + lateAgain[0]!.delaySeconds! * 1000).toBeGreaterThanOrEqual(answered429At + 3_000);
  });
});
