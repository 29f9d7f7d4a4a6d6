import { join } from 'node:path';
import { Planner } from '../../src/deliver/plan.ts';
import { parseEnvelope } from '../../src/events/envelope.ts';
import { releaseDue } from '../../src/hold/release.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import { readMigrations } from '../../src/node/migrations.ts';
import { compileTemplate } from '../../src/node/template-compiler.ts';
import { d1Store } from '../../src/queue/drivers/d1.ts';
import { sqliteStore } from '../../src/queue/drivers/sqlite.ts';
import { newEvent } from '../../src/queue/intake.ts';
import { recordRoutings, routeStored } from '../../src/queue/routing.ts';
import type { DueDelivery, Routing, Store } from '../../src/queue/store.ts';
import { tempDataDir } from './server-process.ts';
import { tempD1 } from './store.ts';
import { loadRules } from './rules.ts';

export interface Post {
  events_id: string;
  object_id: number | string;
  data?: Record<string, unknown>;
}

/** A message as a destination would have got it. */
export interface Sent extends DueDelivery {
  at: number;
}

/**
 * The routing and release of a real rules file over a real database (a SQLite file, or D1 in
 * workerd), with the clock in the
 * test's hands: every step takes the time it happens at. `send` plays the dispatcher: it takes
 * every sendable delivery and records it sent, with a reference replies can answer. `readFile`
 * reads template files named by the rules (none by default); `log` gets what routing and release log.
 */
export function holdHarness(yaml: string, driver: Driver = sqliteDriver(), readFile: (path: string) => string | undefined = () => undefined, log: Logger = silentLogger) {
  const config = loadRules(yaml, { readFile });
  const planner = new Planner(config, compileTemplate);
  const open = driver.open;
  let store: Store = open();
  let seq = 0;
  const sent: Sent[] = [];

  /** Receives events at `at` and routes them, without recording the routing. */
  async function prepare(at: number, ...posts: Post[]): Promise<Routing[]> {
    const received = posts.map((p) => {
      const raw = JSON.stringify({ event: { dt: new Date(at).toISOString(), events_id: p.events_id, object_id: p.object_id }, data: p.data ?? {} });
      const parsed = parseEnvelope(raw);
      if (!parsed.ok) throw new Error(parsed.error);
      return { id: `ev${String(++seq).padStart(5, '0')}`, eventId: parsed.eventId, envelope: parsed.value, raw, receivedAt: at };
    });
    await store.accept(received.map(newEvent), 0);
    return received.map((r) => routeStored({ id: r.id, raw: r.raw, receivedAt: at }, planner, log) as Routing);
  }

  /** Receives and routes events at `at`, in one routing batch as the routing stage would. */
  async function post(at: number, ...posts: Post[]): Promise<string[]> {
    const routings = await prepare(at, ...posts);
    await recordRoutings(store, planner, routings, () => at, log);
    return routings.map((r) => r.id);
  }

  /** Sends everything sendable at `at` (replies once what they answer is sent); what was sent. */
  async function send(at: number): Promise<Sent[]> {
    const out: Sent[] = [];
    for (;;) {
      const due = (await Promise.all([...config.destinations.keys()].map((d) => store.due(d, at, 10_000, new Set())))).flat();
      if (due.length === 0) return out;
      await store.record(due.map((d) => ({ deliveryId: d.id, at, ok: true, detail: 'sent', status: 'delivered' as const, ref: `ref-${d.id}` })));
      out.push(...due.map((d) => ({ ...d, at })));
      sent.push(...due.map((d) => ({ ...d, at })));
    }
  }

  return {
    config,
    planner,
    get store() {
      return store;
    },
    post,
    prepare,
    /** Records routings as the routing stage does (hold decisions, made again on a conflict). */
    record: (at: number, ...routings: Routing[]) => recordRoutings(store, planner, routings, () => at, log),
    send,
    /** Everything sent so far. */
    sent,
    release: (at: number) => releaseDue(store, planner, at, log),
    /** Release, then send, at `at`. */
    async tick(at: number): Promise<Sent[]> {
      await releaseDue(store, planner, at, log);
      return send(at);
    },
    /** Closes the store and opens the database again, as a restart does. */
    async restart() {
      await store.close();
      store = open();
    },
    /** A second store on the same database: another process or isolate. */
    another: open,
    close: async () => {
      await store.close();
      await driver.close?.();
    },
  };
}

/** Where a harness keeps its state: stores opened on one database, as many as wanted. */
export interface Driver {
  open(): Store;
  close?(): Promise<void>;
}

/** A SQLite file in a fresh folder (Node). */
export function sqliteDriver(): Driver {
  const file = join(tempDataDir(), 'switchboard.db');
  return { open: () => sqliteStore(file, { migrations: readMigrations() }) };
}

/** A D1 database in workerd through Miniflare (Workers). */
export async function d1Driver(): Promise<Driver> {
  const { db, close } = await tempD1();
  return { open: () => d1Store(db), close };
}

/** Slack text of a sent message. */
export const text = (s: { message: unknown }) => (s.message as { text: string }).text;
