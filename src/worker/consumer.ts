import type { Message, MessageBatch, Queue } from '@cloudflare/workers-types/index.ts';
import { sendOnce, settleAttempt } from '../deliver/send.ts';
import { touchesIncident } from '../hold/decide.ts';
import { releaseDue } from '../hold/release.ts';
import { recordRoutings, routeStored } from '../queue/routing.ts';
import { ConflictError, type DueDelivery, type Routed } from '../queue/store.ts';
import { counted } from '../words.ts';
import type { WorkerContext } from './context.ts';
import type { DeadLetter, WorkMessage } from './env.ts';

/** The longest delay a queue message may be given (Cloudflare Queues: 12 hours). */
const MAX_DELAY_S = 43_200;
/**
 * How long a sender holds a delivery it took (store.claim) before another may: two copies of its
 * message (a replay's beside a retry's) must not both send it. Far longer than a send takes; should
 * the sender die, the sweep queues the delivery again once it is overdue.
 */
const LEASE_MS = 5 * 60_000;

const delaySeconds = (untilMs: number, now: number) => Math.min(MAX_DELAY_S, Math.max(0, Math.ceil((untilMs - now) / 1000)));

/** Sends work messages to the delivery queue, at most 100 at a time (the queue's batch limit). */
export async function enqueue(queue: Queue<WorkMessage>, messages: readonly WorkMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) {
    await queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
  }
}

/** Queues what became sendable, and a "release" message for when each newly held thing falls due. */
async function dispatch(cx: WorkerContext, routed: Routed): Promise<void> {
  const now = Date.now();
  // A second early: a release message that came before its time would find nothing due.
  const delays = [...new Set(routed.releaseAt.map((at) => delaySeconds(at + 1_000, now)))].filter((d) => d < MAX_DELAY_S);
  await enqueue(cx.env.DELIVERIES, routed.deliveries.map((delivery) => ({ kind: 'deliver', delivery })));
  // Later than the longest delay (a send window over a weekend): the sweep releases it.
  for (const delay of delays) await cx.env.DELIVERIES.send({ kind: 'release' }, { delaySeconds: delay });
}

/** A place in a line: `wait` resolves when every earlier place is done. */
interface Place {
  wait(): Promise<void>;
  done(): void;
}

/** Places in a line, first to last. */
function inLine(n: number): Place[] {
  let last: Promise<void> = Promise.resolve();
  return Array.from({ length: n }, () => {
    const before = last;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    last = before.then(() => mine);
    return { wait: () => before, done };
  });
}

/**
 * Routes an event: its deliveries are stored, then queued. A second routing of the same event adds
 * nothing. One that opens or closes an incident is recorded after the events before it in the
 * batch: a balance's recovery after its zero.
 */
async function route(cx: WorkerContext, eventId: string, place: Place): Promise<void> {
  try {
    const event = await cx.store.unroutedEvent(eventId);
    if (!event) return;
    const routing = await routeStored(event, cx.planner, cx.log, cx.enricher);
    if (touchesIncident(cx.planner.config, routing)) await place.wait();
    else place.done();
    let routed: Routed;
    try {
      routed = await recordRoutings(cx.store, cx.planner, [routing], Date.now, cx.log);
    } catch (e) {
      // Routed meanwhile by another consumer: nothing to add.
      if (e instanceof ConflictError && !(await cx.store.unroutedEvent(eventId))) return;
      throw e;
    }
    await dispatch(cx, routed);
    // A quiet group without group_wait is due as soon as it is routed. The queued release comes a
    // second or two later, by which time the group's next event may have joined it and its first
    // message would go as a digest; released here, the first goes alone and at once, as on Node.
    if (routed.releaseAt.some((at) => at <= Date.now())) {
      await release(cx).catch((e: unknown) => cx.log.error('held messages could not be released at once; the queued release tries again', { error: (e as Error).message }));
    }
  } finally {
    place.done();
  }
}

/** Releases groups and held deliveries that are due: each is claimed in D1, so it goes once however many consumers try. */
export async function release(cx: WorkerContext, now = Date.now()): Promise<number> {
  let released = 0;
  for (let round = 0; round < 10; round++) {
    const r = await releaseDue(cx.store, cx.planner, now, cx.log);
    await dispatch(cx, r);
    released += r.deliveries.length;
    if (!r.more) break;
  }
  return released;
}

interface Due {
  msg: Message<WorkMessage>;
  delivery: DueDelivery;
}

/**
 * Sends a delivery's message again at `at`, as a new message. A retried message would count
 * against the queue's max_retries, which would then decide when a delivery dies (100 tries of a
 * backoff capped at 10 minutes last 8 to 17 hours), not SWITCHBOARD_MAX_AGE_HOURS.
 */
async function later(cx: WorkerContext, msg: Message<WorkMessage>, delivery: number, at: number): Promise<void> {
  await cx.env.DELIVERIES.send({ kind: 'deliver', delivery }, { delaySeconds: delaySeconds(at, Date.now()) });
  msg.ack();
}

/**
 * Sends one channel's deliveries in turn, paced (Slack: about one a second per channel), or a
 * delivery of a channel without pacing. After a Retry-After, the rest wait as long as it says,
 * without being tried.
 */
async function sendInTurn(cx: WorkerContext, group: readonly Due[], pacing: { intervalMs: number } | undefined): Promise<void> {
  let holdUntil = 0;
  let nextAt = 0;
  for (const { msg, delivery: d } of group) {
    if (holdUntil > Date.now()) {
      await cx.store.schedule(d.id, holdUntil);
      await later(cx, msg, d.id, holdUntil);
      continue;
    }
    if (nextAt > Date.now()) await new Promise((r) => setTimeout(r, nextAt - Date.now()));
    const result = await sendOnce(d, cx.config.destinations.get(d.destination), cx.connections.get(d.destination), cx.log);
    const at = Date.now();
    nextAt = at + (pacing?.intervalMs ?? 0);
    if (!result.ok && result.retryAfterMs !== undefined) {
      holdUntil = at + result.retryAfterMs;
      // A channel's messages in later batches find their deliveries not due, and wait too.
      if (pacing) await cx.store.postpone(d.destination, holdUntil);
    }
    const { next, record } = settleAttempt(d, result, at, cx.policy, cx.attempts);
    await cx.store.record([record]);
    // Replies to this message waited for it (sent: they answer it; dead: they go on their own).
    if (next.status !== 'pending') await enqueue(cx.env.DELIVERIES, (await cx.store.replies(d.id)).map((delivery) => ({ kind: 'deliver', delivery })));
    if (next.status === 'pending') {
      await later(cx, msg, d.id, next.nextAt);
    } else {
      if (next.status === 'dead') await cx.env.DEAD_LETTERS.send({ kind: 'dead', delivery: d.id, event: d.eventId, reason: next.reason });
      msg.ack();
    }
  }
}

/** A batch from the delivery queue: route events, send deliveries; each message settles on its own. */
export async function consumeWork(batch: MessageBatch<WorkMessage>, cx: WorkerContext): Promise<void> {
  const groups = new Map<string, { pacing: { intervalMs: number } | undefined; due: Due[] }>();
  const retryLater = (msg: Message<WorkMessage>, e: unknown) => {
    cx.log.error('could not handle a queued message; the queue retries it', { message: JSON.stringify(msg.body), error: (e as Error).message });
    msg.retry();
  };
  // Events are routed side by side: one waiting for the CoreAPI does not hold up the others (but
  // those opening or closing an incident are recorded in the order they came).
  const routes = batch.messages.filter((msg) => msg.body.kind === 'route');
  const places = inLine(routes.length);
  const routing = routes.map((msg, i) => route(cx, (msg.body as { event: string }).event, places[i]!).then(() => msg.ack(), (e: unknown) => retryLater(msg, e)));
  // However many "release" messages came together, one release does it all.
  const releases = batch.messages.filter((msg) => msg.body.kind === 'release');
  const releasing = releases.length > 0 ? [release(cx).then(() => releases.forEach((m) => m.ack()), (e: unknown) => releases.forEach((m) => retryLater(m, e)))] : [];
  for (const msg of batch.messages) {
    if (msg.body.kind !== 'deliver') continue;
    try {
      // Never early: a Retry-After is honoured to the millisecond. A message the queue hands over
      // before its delivery is due is queued again for then.
      const dueBy = Date.now();
      const delivery = await cx.store.delivery(msg.body.delivery);
      // Sent already, or dead; or a reply whose first message is not sent yet: queued again when
      // that is.
      if (!delivery || delivery.replyWaits) {
        msg.ack();
        continue;
      }
      // Not due yet: its channel is held back by a Retry-After another batch got, or it waits for a
      // later retry (a second copy of its message, a replay's), or another sender holds it. It goes then.
      if (delivery.nextAt > dueBy) {
        await later(cx, msg, delivery.id, delivery.nextAt);
        continue;
      }
      // Taken by another copy of the message, in this batch or another.
      if (!(await cx.store.claim(delivery.id, dueBy, Date.now() + LEASE_MS))) {
        msg.ack();
        continue;
      }
      const dest = cx.config.destinations.get(delivery.destination);
      const pace = dest?.kind.pacing?.(dest.settings);
      const key = pace?.key ?? `delivery ${delivery.id}`;
      const group = groups.get(key) ?? { pacing: pace, due: [] };
      group.due.push({ msg, delivery });
      groups.set(key, group);
    } catch (e) {
      retryLater(msg, e);
    }
  }
  await Promise.all([
    ...routing,
    ...releasing,
    ...[...groups.values()].map((g) =>
      sendInTurn(cx, g.due, g.pacing).catch((e: Error) => {
        cx.log.error('could not record a delivery; the queue retries it', { error: e.message });
        for (const { msg } of g.due) msg.retry();
      }),
    ),
  ]);
}

/**
 * A batch from the dead-letter queue. Deliveries given up on by the consumer are already recorded;
 * a message that lands here because the queue itself gave up is recorded as dead now, so that
 * `explain` and the admin API show it and a replay can send it again.
 */
export async function consumeDead(batch: MessageBatch<DeadLetter>, cx: WorkerContext): Promise<void> {
  for (const msg of batch.messages) {
    const body = msg.body;
    if (body.kind === 'dead') {
      cx.log.warn('delivery in the dead-letter queue', { event: body.event, delivery: body.delivery, reason: body.reason });
    } else if (body.kind === 'deliver') {
      const d = await cx.store.delivery(body.delivery);
      if (d) {
        const reason = `the delivery queue gave up after ${counted(msg.attempts, 'attempt')}`;
        await cx.store.record([{ deliveryId: d.id, at: Date.now(), ok: false, detail: reason, status: 'dead' }]);
        cx.log.error('delivery dead; replay it through the admin API', { event: d.eventId, destination: d.destination, reason });
      }
    } else if (body.kind === 'route') {
      cx.log.error('an event could not be routed; the sweep tries again', { event: body.event });
    } else {
      cx.log.error('held messages could not be released; the sweep tries again');
    }
    msg.ack();
  }
}
