import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../src/channels/email/index.ts';
import { CoreApiClient } from '../../src/enrich/coreapi.ts';
import { Enricher } from '../../src/enrich/enricher.ts';
import { silentLogger } from '../../src/log.ts';
import { readMigrations } from '../../src/node/migrations.ts';
import { sqliteStore } from '../../src/queue/drivers/sqlite.ts';
import { DurableIntake } from '../../src/queue/intake.ts';
import { RoutingStage } from '../../src/queue/routing.ts';
import type { Explanation, Store } from '../../src/queue/store.ts';
import { startCoreApi, type CoreApiStandIn } from '../support/coreapi.ts';
import { postEvent } from '../support/post-event.ts';
import { commit, newEvent, tempStore } from '../support/store.ts';
import { tempDataDir } from '../support/server-process.ts';
import { waitFor, waitForAsync } from '../support/wait.ts';
import { plannerFor } from '../support/rules.ts';

const KEY = 'routing-test-key-77c2e1';
const ACME = { id: 12, name: 'ACME Telecom', balance: -3.5, credit: 500, currency: 'USD' };

const RULES = `
destinations:
  finance: { type: email, to: finance@example.com }
  audit: { type: webhook, url: "http://127.0.0.1:9/audit", enrich: [client] }
rules:
  - name: balance-zero
    events: clients.balance_zero
    enrich: [client]
    when: { "!": { var: client.archived } }
    to: finance
    template:
      email:
        subject: "zero: {{#if client.name}}{{client.name}}{{else}}#{{event.object_id}}{{/if}}"
        text: "{{money client.balance client.currency}}{{#if enrichment.note}} / {{enrichment.note}}{{/if}}"
  - name: account-audit
    events: clients.accounts.create
    to: audit
  - name: updates
    events: clients.update
    to: finance
`;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('routing with enrichment', () => {
  let api: CoreApiStandIn;
  beforeAll(async () => {
    api = await startCoreApi(KEY);
    api.objects.set('clients.get:12', ACME);
    api.objects.set('clients.get:13', { id: 13, name: 'Old Client', archived: true });
  });
  afterAll(() => api?.close());

  /** A real intake, store and routing stage around RULES, enriching from the stand-in. */
  function pipeline(timeoutMs = 2_000) {
    const { store } = tempStore();
    const planner = plannerFor(RULES);
    const enricher = new Enricher({
      api: new CoreApiClient({ url: api.url, apiKey: KEY, timeoutMs }),
      log: silentLogger,
      timeoutMs,
      cacheTtlMs: 60_000,
      cacheSize: 100,
      pauseMs: 0,
    });
    const routing = new RoutingStage(store, () => planner, { log: silentLogger, routed: () => {}, enricher });
    const intake = new DurableIntake(store, { idempotencyWindowMs: 0, committed: () => routing.notify() });
    cleanups.push(async () => {
      routing.stop();
      await store.close();
    });
    const post = (eventsId: string, objectId: number, data: Record<string, unknown> = {}) => postEvent(intake, eventsId, objectId, data);
    const routed = (id: string) =>
      waitForAsync(`event ${id} routed`, async () => {
        const e = await store.explain(id);
        return e && e.status !== 'received' ? e : undefined;
      });
    return { store, post, routed, routing };
  }

  const mail = (e: Explanation) => e.deliveryDetails[0]!.message as EmailMessage;

  /** Runs `test` while the stand-in holds its answers about client 12, then lets them go. */
  async function whileClient12IsSlow(test: () => Promise<void>): Promise<void> {
    api.behaviour.set('clients.get:12', 'slow');
    try {
      await test();
    } finally {
      api.behaviour.delete('clients.get:12');
      api.release();
    }
  }

  it("gives conditions and templates the client, and records that it was fetched", async () => {
    const { post, routed } = pipeline();
    const e = await routed(await post('clients.balance_zero', 12));
    expect(mail(e)).toEqual({ subject: 'zero: ACME Telecom', text: '-3.50 USD' });
    expect(e.enrichment).toEqual([{ object: 'client', id: '12', outcome: 'fetched' }]);
  });

  it('lets a condition use what was fetched', async () => {
    const { post, routed } = pipeline();
    const e = await routed(await post('clients.balance_zero', 13));
    expect(e.matched).toEqual([]);
    expect(e.skipped).toEqual([{ rule: 'balance-zero', reason: 'condition is false' }]);
  });

  it('sends on time without the details when the CoreAPI is slow, saying so in the message and the record', async () => {
    const { post, routed } = pipeline(300);
    await whileClient12IsSlow(async () => {
      const started = Date.now();
      const e = await routed(await post('clients.balance_zero', 12));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(mail(e)).toEqual({
        subject: 'zero: #12',
        text: ' / Details from VCS are missing: client #12 could not be fetched (no answer from the CoreAPI within 300 ms).',
      });
      expect(e.enrichment).toEqual([{ object: 'client', id: '12', outcome: 'failed', reason: 'no answer from the CoreAPI within 300 ms' }]);
    });
  });

  it('routes events that need no enrichment while another waits for the CoreAPI', async () => {
    const { store, post, routed } = pipeline(10_000);
    await whileClient12IsSlow(async () => {
      const waiting = await post('clients.balance_zero', 12);
      await waitFor('the CoreAPI call to be held', () => api.held() === 1);
      const update = await routed(await post('clients.update', 12, { id: 12, name: 'ACME' }));
      expect(update.matched).toEqual(['updates']);
      expect((await store.explain(waiting))!.status).toBe('received');
      api.release();
      expect(mail(await routed(waiting)).subject).toBe('zero: ACME Telecom');
    });
  });

  it('leaves an event being enriched when it stops, for the next start to route', async () => {
    const { store, post, routing } = pipeline(10_000);
    await whileClient12IsSlow(async () => {
      const id = await post('clients.balance_zero', 12);
      await waitFor('the CoreAPI call to be held', () => api.held() === 1);
      routing.stop();
      api.release();
      await routing.settled();
      expect((await store.explain(id))!.status).toBe('received');
      expect((await store.unrouted(10)).map((e) => e.id)).toEqual([id]);
    });
  });

  it("fetches for a destination's enrich too, and nothing for events whose rules ask for nothing", async () => {
    const { post, routed } = pipeline();
    const before = api.calls.length;
    const update = await routed(await post('clients.update', 12, { id: 12, name: 'ACME' }));
    expect(update.enrichment).toBeUndefined();
    expect(api.calls.length).toBe(before);
    const account = await routed(await post('clients.accounts.create', 301, { clients_id: 12, name: 'acme-sip' }));
    expect(account.enrichment).toEqual([{ object: 'client', id: '12', outcome: 'fetched' }]);
    const body = account.deliveryDetails[0]!.message as { body: { client: unknown } };
    expect(body.body.client).toEqual(ACME);
  });
});

// The events table as released before enrichment: a database file an earlier version left behind.
const OLD_SCHEMA = `
CREATE TABLE events (
  id TEXT PRIMARY KEY, events_id TEXT NOT NULL, object_id TEXT NOT NULL, received_at INTEGER NOT NULL,
  payload TEXT NOT NULL, fingerprint TEXT NOT NULL, duplicate_of TEXT, routed_at INTEGER, plan TEXT
);
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY, event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE, rule TEXT NOT NULL,
  destination TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL, render_error TEXT, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, next_at INTEGER NOT NULL, last_error TEXT
);
CREATE TABLE attempts (delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE, at INTEGER NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL);
`;

describe('the outbox records enrichment', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('with each routed event, and explains it', async () => {
    ({ store } = tempStore());
    const e = newEvent();
    await store.accept([e], 0);
    const enrichment = [{ object: 'client' as const, id: '12', outcome: 'failed' as const, reason: 'the CoreAPI refused the API key (HTTP 401)' }];
    await store.route([{ id: e.id, receivedAt: e.receivedAt, plan: e.plan, enrichment }], Date.now());
    expect((await store.explain(e.id))!.enrichment).toEqual(enrichment);
    const plain = newEvent();
    await commit(store, [plain], 0);
    expect((await store.explain(plain.id))!.enrichment).toBeUndefined();
  });

  it('in a database file made before enrichment, which it migrates in place, keeping its events', async () => {
    const file = join(tempDataDir(), 'switchboard.db');
    const old = new Database(file);
    old.exec(OLD_SCHEMA);
    old.prepare('INSERT INTO events (id, events_id, object_id, received_at, payload, fingerprint, routed_at, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      'old-1',
      'clients.balance_zero',
      '12',
      1_700_000_000_000,
      '{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.balance_zero","object_id":12},"data":{}}',
      'x',
      1_700_000_000_001,
      '{"matched":["balance-zero"],"skipped":[],"deliveries":0}',
    );
    old.close();

    store = sqliteStore(file, { migrations: readMigrations() });
    expect(await store.explain('old-1')).toMatchObject({ id: 'old-1', matched: ['balance-zero'], status: 'unrouted' });
    const e = newEvent();
    await store.accept([e], 0);
    const enrichment = [{ object: 'client' as const, id: '7', outcome: 'cached' as const }];
    await store.route([{ id: e.id, receivedAt: e.receivedAt, plan: e.plan, enrichment }], Date.now());
    await store.close();

    // Opened again (the next start, or a CLI command): nothing to do, nothing lost.
    store = sqliteStore(file, { migrations: readMigrations() });
    expect((await store.explain(e.id))!.enrichment).toEqual(enrichment);
    expect(await store.explain('old-1')).toBeDefined();
  });
});
