import { pruneOld } from '../queue/prune.ts';
import type { WorkerContext } from './context.ts';
import { enqueue, release } from './consumer.ts';

/** How long a message may be late before the sweep takes it for lost and queues it again. */
const LOST_AFTER_MS = 10 * 60_000;
const BATCH = 500;
/**
 * Events pruned per sweep at most (in statements of 1,000): a Worker invocation may make only so
 * many D1 queries (50 on the Free plan), and a long backlog is worked off over the next sweeps.
 */
const PRUNE_PER_SWEEP = 10_000;

/**
 * The cron trigger's work: queue again what a lost message left behind (an event stored but not
 * routed, a delivery whose message never came back), release groups and held deliveries that are
 * due (those held longer than a queue message can be delayed, a send window over a weekend, are
 * released only here), and prune old delivered events. A message is lost only if a queue write
 * failed; this is the net under that.
 */
export async function sweep(cx: WorkerContext, now = Date.now()): Promise<{ routed: number; requeued: number; released: number; pruned: number }> {
  const events = (await cx.store.unrouted(BATCH)).filter((e) => e.receivedAt <= now - 60_000);
  const deliveries = await cx.store.overdue(now - LOST_AFTER_MS, BATCH);
  await enqueue(cx.env.DELIVERIES, [
    ...events.map((e) => ({ kind: 'route' as const, event: e.id })),
    ...deliveries.map((d) => ({ kind: 'deliver' as const, delivery: d.id })),
  ]);
  const released = await release(cx, now);
  const pruned = await pruneOld(cx.store, cx.settings, cx.config, now, PRUNE_PER_SWEEP);
  if (events.length + deliveries.length > 0) cx.log.warn('queued again what was left behind', { events: events.length, deliveries: deliveries.length });
  return { routed: events.length, requeued: deliveries.length, released, pruned };
}
