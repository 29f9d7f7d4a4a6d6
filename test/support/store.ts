import { join } from 'node:path';
import type { Plan } from '../../src/deliver/plan.ts';
import { readMigrations } from '../../src/node/migrations.ts';
import type { D1Database } from '@cloudflare/workers-types/index.ts';
import { d1Store } from '../../src/queue/drivers/d1.ts';
import type { OutboxOptions } from '../../src/queue/drivers/outbox.ts';
import { sqliteStore } from '../../src/queue/drivers/sqlite.ts';
import { canonicalJson, fingerprint } from '../../src/queue/fingerprint.ts';
import type { AcceptOutcome, NewEvent, Store } from '../../src/queue/store.ts';
import { d1OverHttp } from './d1-over-http.ts';
import { tempDataDir } from './server-process.ts';

/** A store and how to end it: one of each driver, for the suite every driver must pass. */
export interface StoreUnderTest {
  store: Store;
  close(): Promise<void>;
}

/** A real D1 database, in workerd through Miniflare, with the migrations applied. */
export async function tempD1(): Promise<{ db: D1Database; close(): Promise<void> }> {
  const { db, close } = await d1OverHttp();
  for (const m of readMigrations()) {
    const statements = m.sql.replace(/--.*$/gm, '').split(/;\s*$/m).map((x) => x.trim()).filter(Boolean);
    await db.batch(statements.map((x) => db.prepare(x)));
  }
  return { db, close };
}

/** The D1 driver on a real D1 database (tempD1). */
export async function tempD1Store(options: OutboxOptions = {}): Promise<StoreUnderTest> {
  const { db, close } = await tempD1();
  return { store: d1Store(db, options), close };
}

/** A store on a real SQLite file in a fresh folder. */
export function tempStore(options: OutboxOptions = {}) {
  const dir = tempDataDir();
  return { dir, store: sqliteStore(join(dir, 'switchboard.db'), { migrations: readMigrations(), ...options }) };
}

/** Every driver, by runtime: for suites that both must pass alike (`describe.each`). */
export const STORE_DRIVERS: Array<[string, (options?: OutboxOptions) => Promise<StoreUnderTest>]> = [
  ['SQLite (Node)', async (options) => {
    const { store } = tempStore(options);
    return { store, close: () => store.close() };
  }],
  ['D1 (Workers)', tempD1Store],
];

let seq = 0;

/** An event for the store, with one delivery per destination named, each of `type` (default webhook). */
export function newEvent(opts: { objectId?: number; receivedAt?: number; destinations?: string[]; payload?: unknown; type?: string } = {}): NewEvent & { plan: Plan } {
  const objectId = opts.objectId ?? ++seq;
  const envelope = opts.payload ?? { event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.balance_zero', object_id: objectId }, data: {} };
  const canonical = canonicalJson(envelope);
  const plan: Plan = {
    matched: ['r'],
    skipped: [],
    deliveries: (opts.destinations ?? ['d']).map((destination) => ({ rule: 'r', destination, type: opts.type ?? 'webhook', message: { body: { objectId } } })),
  };
  return {
    id: `e${String(++seq).padStart(6, '0')}`,
    eventId: 'clients.balance_zero',
    objectId: String(objectId),
    receivedAt: opts.receivedAt ?? Date.now(),
    raw: JSON.stringify(envelope),
    canonical,
    fingerprint: fingerprint(canonical),
    plan,
  };
}

/** Commits events as the intake does, then routes the new ones as the routing stage does. */
export async function commit(store: Store, events: ReadonlyArray<NewEvent & { plan: Plan }>, windowMs: number): Promise<AcceptOutcome[]> {
  const outcomes = await store.accept(events, windowMs);
  await store.route(
    events.filter((_, i) => !outcomes[i]!.duplicateOf).map((e) => ({ id: e.id, receivedAt: e.receivedAt, plan: e.plan })),
    Date.now(),
  );
  return outcomes;
}
