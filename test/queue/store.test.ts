import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneBefore } from '../../src/config/service-settings.ts';
import { readMigrations } from '../../src/node/migrations.ts';
import { sqliteStore } from '../../src/queue/drivers/sqlite.ts';
import type { Store } from '../../src/queue/store.ts';
import { commit, newEvent, STORE_DRIVERS, tempStore, type StoreUnderTest } from '../support/store.ts';

const HOUR = 3_600_000;


// One suite, every driver: the outbox behaves the same on both runtimes.
describe.each(STORE_DRIVERS)('the store on %s', (_name, open) => {
  let under: StoreUnderTest;
  let store: Store;
  beforeEach(async () => {
    under = await open();
    store = under.store;
  });
  afterEach(async () => under.close());

  it('keeps every event, routed or not, with its deliveries', async () => {
    const routed = newEvent({ destinations: ['a', 'b'] });
    const unrouted = newEvent({ destinations: [] });
    expect(await commit(store, [routed, unrouted], HOUR)).toEqual([{}, {}]);
    const events = await store.events({});
    expect(events.map((e) => [e.id, e.status, e.deliveries])).toEqual([
      [unrouted.id, 'unrouted', 0],
      [routed.id, 'pending', 2],
    ]);
    expect((await store.due('a', Date.now(), 10, new Set())).map((d) => d.eventId)).toEqual([routed.id]);
    expect((await store.pendingDestinations()).sort()).toEqual(['a', 'b']);
    // Stored, not routed yet: what a crash between the 200 and routing leaves.
    const received = newEvent();
    await store.accept([received], HOUR);
    expect((await store.events({ status: 'received' })).map((e) => e.id)).toEqual([received.id]);
  });

  it('recognises the same payload within the window, whatever the key order, and nothing else', async () => {
    const t = Date.now();
    const payload = { event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.update', object_id: 1 }, data: { a: 1, b: 2 } };
    const reordered = { data: { b: 2, a: 1 }, event: { object_id: 1, events_id: 'clients.update', dt: '2022-01-24T15:44:47+00:00' } };
    const first = newEvent({ payload, receivedAt: t });
    const [again, sameBatch] = [newEvent({ payload: reordered, receivedAt: t + 1000 }), newEvent({ payload, receivedAt: t + 1000 })];
    const other = newEvent({ payload: { ...payload, data: { a: 1, b: 3 } }, receivedAt: t + 1000 });
    expect(await commit(store, [first], HOUR)).toEqual([{}]);
    expect(await commit(store, [again, sameBatch, other], HOUR)).toEqual([{ duplicateOf: first.id }, { duplicateOf: first.id }, {}]);
    const later = newEvent({ payload, receivedAt: t + 2 * HOUR });
    expect(await commit(store, [later], HOUR)).toEqual([{}]);
    const explained = await store.explain(again.id);
    expect(explained).toMatchObject({ status: 'duplicate', duplicateOf: first.id, deliveries: 0 });
  });

  it('records attempts, and derives failed, dead and delivered', async () => {
    const e = newEvent({ destinations: ['a'] });
    await commit(store, [e], 0);
    const [d] = await store.due('a', Date.now(), 10, new Set());
    const t = Date.now();
    await store.record([{ deliveryId: d!.id, at: t, ok: false, detail: 'HTTP 503', status: 'pending', nextAt: t + 60_000 }]);
    expect((await store.events({ status: 'failed' })).map((x) => x.id)).toEqual([e.id]);
    expect(await store.due('a', t, 10, new Set())).toEqual([]);
    expect(await store.nextDue()).toBe(t + 60_000);
    await store.record([{ deliveryId: d!.id, at: t + 60_000, ok: false, detail: 'HTTP 404', status: 'dead' }]);
    expect((await store.events({ status: 'dead' })).map((x) => x.id)).toEqual([e.id]);
    const explained = await store.explain(e.id);
    expect(explained!.deliveryDetails[0]).toMatchObject({
      status: 'dead',
      lastError: 'HTTP 404',
      attempts: [
        { at: t, ok: false, detail: 'HTTP 503' },
        { at: t + 60_000, ok: false, detail: 'HTTP 404' },
      ],
    });
  });

  it('replays dead deliveries as new ones', async () => {
    const [a, b] = [newEvent(), newEvent()];
    await commit(store, [a, b], 0);
    for (const d of await store.due('d', Date.now(), 10, new Set())) {
      await store.record([{ deliveryId: d.id, at: Date.now(), ok: false, detail: 'gone', status: 'dead' }]);
    }
    expect(await store.replay(a.id, 5)).toHaveLength(1);
    expect(await store.replay('nope', 5)).toBeUndefined();
    expect((await store.due('d', 5, 10, new Set())).map((d) => [d.eventId, d.attempts, d.createdAt])).toEqual([[a.id, 0, 5]]);
    expect(await store.replayAll(6, { status: 'dead' })).toHaveLength(1);
    expect(await store.due('d', 6, 10, new Set())).toHaveLength(2);
  });

  it("replays every failed delivery, or one destination's, at once and as new; dead and untried ones stay as they are", async () => {
    const [e, untried] = [newEvent({ destinations: ['a', 'b', 'c'] }), newEvent({ destinations: ['a'] })];
    await commit(store, [e], 0);
    const later = Date.now() + HOUR;
    for (const dest of ['a', 'b', 'c']) {
      const [d] = await store.due(dest, Date.now(), 1, new Set());
      const failed = dest === 'c' ? { status: 'dead' as const } : { status: 'pending' as const, nextAt: later };
      await store.record([{ deliveryId: d!.id, at: Date.now(), ok: false, detail: 'HTTP 503', ...failed }]);
    }
    await commit(store, [untried], 0);
    expect(await store.due('a', 7, 10, new Set())).toEqual([]);
    expect(await store.replayAll(7, { status: 'failed', destination: 'a' })).toHaveLength(1);
    expect((await store.due('a', 7, 10, new Set())).map((d) => [d.eventId, d.attempts, d.createdAt])).toEqual([[e.id, 0, 7]]);
    expect(await store.due('b', 7, 10, new Set())).toEqual([]);
    expect(await store.replayAll(8, { status: 'failed' })).toHaveLength(1);
    expect((await store.due('b', 8, 10, new Set())).map((d) => d.eventId)).toEqual([e.id]);
    expect(await store.replayAll(9, { status: 'dead', destination: 'a' })).toEqual([]);
    expect(await store.replayAll(9, { status: 'dead', destination: 'c' })).toHaveLength(1);
  });

  it('replays dead or failed deliveries of one destination to another, and leaves the others where they are', async () => {
    const e = newEvent({ destinations: ['old', 'old', 'kept'] });
    await commit(store, [e], 0);
    const due = [...(await store.due('old', Date.now(), 10, new Set())), ...(await store.due('kept', Date.now(), 10, new Set()))];
    await store.record(due.map((d, i) => ({ deliveryId: d.id, at: Date.now(), ok: false, detail: 'gone', ...(i === 0 ? { status: 'pending' as const, nextAt: Date.now() + HOUR } : { status: 'dead' as const }) })));
    expect(await store.replayAll(7, { status: 'dead', destination: 'old', to: 'new' })).toHaveLength(1);
    expect(await store.replayAll(7, { status: 'failed', destination: 'old', to: 'new' })).toHaveLength(1);
    expect((await store.due('new', 7, 10, new Set())).map((d) => [d.destination, d.attempts])).toEqual([['new', 0], ['new', 0]]);
    expect(await store.due('old', 7, 10, new Set())).toEqual([]);
    expect((await store.explain(e.id))!.deliveryDetails.map((d) => [d.destination, d.status])).toEqual([['new', 'pending'], ['new', 'pending'], ['kept', 'dead']]);
  });

  it('prunes delivered events after the retention period and keeps dead ones until purged', async () => {
    const old = Date.now() - 40 * 24 * HOUR;
    const [delivered, dead, fresh] = [newEvent({ receivedAt: old }), newEvent({ receivedAt: old }), newEvent()];
    await commit(store, [delivered, dead, fresh], 0);
    const due = await store.due('d', Date.now(), 10, new Set());
    await store.record([
      { deliveryId: due.find((d) => d.eventId === delivered.id)!.id, at: Date.now(), ok: true, detail: 'sent', status: 'delivered' },
      { deliveryId: due.find((d) => d.eventId === dead.id)!.id, at: Date.now(), ok: false, detail: 'gone', status: 'dead' },
    ]);
    expect(await store.prune(Date.now() - 30 * 24 * HOUR)).toBe(1);
    expect((await store.events({})).map((e) => e.id).sort()).toEqual([dead.id, fresh.id].sort());
    expect(await store.purgeDead()).toBe(1);
    expect((await store.events({})).map((e) => e.id)).toEqual([fresh.id]);
  });

  it('purges dead deliveries; an event left with none goes too, one with others stays as they make it', async () => {
    const [allDead, halfDead, untouched] = [newEvent({ destinations: ['a'] }), newEvent({ destinations: ['a', 'b'] }), newEvent({ destinations: ['b'] })];
    await commit(store, [allDead, halfDead, untouched], 0);
    const [a1, a2] = await store.due('a', Date.now(), 10, new Set());
    const [b1] = (await store.due('b', Date.now(), 10, new Set())).filter((d) => d.eventId === halfDead.id);
    await store.record([
      { deliveryId: a1!.id, at: Date.now(), ok: false, detail: 'gone', status: 'dead' },
      { deliveryId: a2!.id, at: Date.now(), ok: false, detail: 'gone', status: 'dead' },
      { deliveryId: b1!.id, at: Date.now(), ok: true, detail: 'sent', status: 'delivered' },
    ]);
    expect(await store.purgeDead()).toBe(2);
    expect(await store.explain(allDead.id)).toBeUndefined();
    expect(await store.explain(halfDead.id)).toMatchObject({ status: 'delivered', deliveryDetails: [{ destination: 'b', status: 'delivered' }] });
    expect(await store.explain(untouched.id)).toMatchObject({ status: 'pending' });
    expect(await store.purgeDead()).toBe(0);
  });

  it('never prunes an event not yet routed, however old: it still has everything to send', async () => {
    // Stored and acknowledged, then a crash (or a long stop) before routing: nothing is pending yet.
    const old = Date.now() - 40 * 24 * HOUR;
    const waiting = newEvent({ receivedAt: old });
    await store.accept([waiting], 0);
    expect(await store.prune(Date.now())).toBe(0);
    expect((await store.unrouted(10)).map((e) => e.id)).toEqual([waiting.id]);
  });

  it('prunes a backlog larger than one statement deletes, a batch at a time (up to a limit, if given), and keeps what still waits', async () => {
    const small = await open({ pruneBatch: 3 });
    try {
      const old = Date.now() - 40 * 24 * HOUR;
      const backlog = Array.from({ length: 8 }, (_, i) => newEvent({ receivedAt: old + i, destinations: [] }));
      const waiting = newEvent({ receivedAt: old });
      const fresh = newEvent({ destinations: [] });
      await commit(small.store, [...backlog, waiting, fresh], 0);
      const cutoff = Date.now() - 30 * 24 * HOUR;
      // With a limit, whole batches up to it, and the rest at the next call (the Worker's sweeps).
      expect(await small.store.prune(cutoff, 4)).toBe(6);
      expect(await small.store.prune(cutoff)).toBe(2);
      expect((await small.store.events({})).map((e) => e.id).sort()).toEqual([waiting.id, fresh.id].sort());
    } finally {
      await small.close();
    }
  });

  it('keeps a delivered event past a shorter retention period while a repeat of it must still be recognised', async () => {
    const now = Date.now();
    const settings = { retentionMs: 24 * HOUR, idempotencyWindowMs: 48 * HOUR };
    const payload = { event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.balance_zero', object_id: 7 }, data: {} };
    const first = newEvent({ payload, receivedAt: now - 30 * HOUR });
    await commit(store, [first], settings.idempotencyWindowMs);
    const [due] = await store.due('d', Date.now(), 10, new Set());
    await store.record([{ deliveryId: due!.id, at: now, ok: true, detail: 'sent', status: 'delivered' }]);
    expect(await store.prune(pruneBefore(settings, now))).toBe(0);
    const repeat = newEvent({ payload, receivedAt: now });
    expect(await commit(store, [repeat], settings.idempotencyWindowMs)).toEqual([{ duplicateOf: first.id }]);
    expect(await store.explain(repeat.id)).not.toHaveProperty('duplicateOfPruned');
    // Once the window has passed, the retention period alone decides; the repeat says its original is gone.
    expect(await store.prune(pruneBefore(settings, now + 20 * HOUR))).toBe(1);
    expect(await store.explain(repeat.id)).toMatchObject({ status: 'duplicate', duplicateOf: first.id, duplicateOfPruned: true });
    expect(await store.prune(pruneBefore(settings, now + 49 * HOUR))).toBe(1);
  });
});

describe('the store on SQLite', () => {
  it('recognises a repeat of a payload received before a restart, within the window only', async () => {
    const { dir, store } = tempStore();
    const t = Date.now();
    const payload = { event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.update', object_id: 7 }, data: {} };
    const first = newEvent({ payload, receivedAt: t - 2 * HOUR });
    const second = newEvent({ payload: { ...payload, data: { x: 1 } }, receivedAt: t - HOUR / 2 });
    expect(await commit(store, [first, second], 3 * HOUR)).toEqual([{}, {}]);
    await store.close();

    const reopened = sqliteStore(join(dir, 'switchboard.db'), { migrations: readMigrations() });
    try {
      const [old, recent] = [newEvent({ payload, receivedAt: t }), newEvent({ payload: { ...payload, data: { x: 1 } }, receivedAt: t })];
      // A one-hour window: the first payload is older than that, the second is not.
      expect(await commit(reopened, [old, recent], HOUR)).toEqual([{}, { duplicateOf: second.id }]);
    } finally {
      await reopened.close();
    }
  });
});
