import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CoreApiClient, type CoreApi } from '../../src/enrich/coreapi.ts';
import { Enricher, unconfiguredEnricher, type Enrichment } from '../../src/enrich/enricher.ts';
import type { EnrichTarget } from '../../src/enrich/targets.ts';
import { EVENTS } from '../../src/events/catalog.ts';
import type { VcsEvent } from '../../src/events/envelope.ts';
import { createLogger } from '../../src/log.ts';
import { startCoreApi, type CoreApiStandIn } from '../support/coreapi.ts';
import { waitFor } from '../support/wait.ts';

const KEY = 'enricher-test-key-93af17';
const ACME = { id: 12, name: 'ACME Telecom', balance: -3.5, credit: 500, currency: 'USD' };
const GLOBEX = { id: 20, name: 'Globex', balance: 0, credit: 0, currency: 'EUR' };
const PREMIUM = { id: 74, name: 'Vendor A - Premium', currencies_id: 1 };

const envelope = (eventsId: string, objectId: number | string, data: Record<string, unknown> = {}): VcsEvent => ({
  event: { dt: '2022-01-24T15:44:47+00:00', events_id: eventsId, object_id: objectId },
  data,
});
const sample = (id: string) => EVENTS[id]!.sample as unknown as VcsEvent;

function clock() {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('Enricher against a local CoreAPI stand-in', () => {
  let api: CoreApiStandIn;
  let lines: string[];
  let c: ReturnType<typeof clock>;
  let enricher: Enricher;

  const make = (over: { apiKey?: string; timeoutMs?: number; api?: CoreApi } = {}) =>
    new Enricher({
      api: over.api ?? new CoreApiClient({ url: api.url, apiKey: over.apiKey ?? KEY, timeoutMs: over.timeoutMs ?? 2_000 }),
      log: createLogger((l) => lines.push(l)),
      timeoutMs: over.timeoutMs ?? 2_000,
      cacheTtlMs: 60_000,
      cacheSize: 100,
      pauseMs: 10_000,
      now: c.now,
    });
  const enrich = (e: VcsEvent, needs: EnrichTarget[] = ['client'], en = enricher): Promise<Enrichment> => en.enrich(e.event.events_id, e, needs);
  const callsFor = (method: string, id: number) => api.calls.filter((x) => x.method === method && x.id === id).length;

  beforeAll(async () => {
    api = await startCoreApi(KEY);
    api.objects.set('clients.get:12', ACME);
    api.objects.set('clients.get:20', GLOBEX);
    api.objects.set('rates.tables.get:74', PREMIUM);
  });
  afterAll(() => api?.close());
  beforeEach(() => {
    lines = [];
    c = clock();
    api.calls.length = 0;
    api.behaviour.clear();
    enricher = make();
  });

  it("fetches a client event's client by object_id and gives it to templates as `client`", async () => {
    const out = await enrich(envelope('clients.balance_zero', 12));
    expect(out.context).toEqual({ client: ACME });
    expect(out.record).toEqual([{ object: 'client', id: '12', outcome: 'fetched' }]);
    expect(api.calls).toEqual([{ method: 'clients.get', id: 12, apiKey: KEY }]);
  });

  it('fetches the client of an account or subscription event by data.clients_id, and takes it from the cache after', async () => {
    const first = await enrich(sample('clients.accounts.create'));
    const second = await enrich(sample('clients.subscriptions.renew'));
    expect(first.context.client).toEqual(ACME);
    expect(second.context.client).toEqual(ACME);
    expect(second.record).toEqual([{ object: 'client', id: '12', outcome: 'cached' }]);
    expect(callsFor('clients.get', 12)).toBe(1);
    c.advance(60_000);
    expect((await enrich(sample('clients.accounts.update'))).record).toEqual([{ object: 'client', id: '12', outcome: 'fetched' }]);
    expect(callsFor('clients.get', 12)).toBe(2);
  });

  it("fetches afresh the client an event is about: its balance just changed", async () => {
    await enrich(sample('clients.accounts.create'));
    const zero = await enrich(envelope('clients.balance_zero', '12'));
    expect(zero.record).toEqual([{ object: 'client', id: '12', outcome: 'fetched' }]);
    expect(callsFor('clients.get', 12)).toBe(2);
  });

  it('makes one call for everyone who needs the same client at once', async () => {
    api.behaviour.set('clients.get:20', 'slow');
    const zero = enrich(envelope('clients.balance_zero', 20));
    await waitFor('the first call to be held', () => api.held() === 1);
    const account = enrich(envelope('clients.accounts.create', 900, { clients_id: 20 }));
    const again = enrich(envelope('clients.balance_zero', 20));
    api.release();
    const results = await Promise.all([zero, account, again]);
    expect(results.map((r) => r.context.client)).toEqual([GLOBEX, GLOBEX, GLOBEX]);
    expect(callsFor('clients.get', 20)).toBe(1);
  });

  it('fetches the rate table of an import by its id, and only what was asked for', async () => {
    const failed = await enrich(sample('importd.process_failed'), ['rate_table']);
    expect(failed.context).toEqual({ rate_table: PREMIUM });
    const queued = await enrich(sample('email_rates_manager.import'), ['rate_table']);
    expect(queued.record).toEqual([{ object: 'rate_table', id: '74', outcome: 'cached' }]);
    expect(api.calls.map((x) => x.method)).toEqual(['rates.tables.get']);
  });

  it('skips, without a note, what the event does not name', async () => {
    const out = await enrich(sample('email_rates_manager.rate_tables_no_match'), ['rate_table', 'client']);
    expect(out.context).toEqual({});
    expect(out.record).toEqual([
      { object: 'client', outcome: 'skipped', reason: 'the event names no client' },
      { object: 'rate_table', outcome: 'skipped', reason: 'the event names no rate table' },
    ]);
    const deleted = await enrich(envelope('clients.accounts.delete', 301));
    expect(deleted.record).toEqual([{ object: 'client', outcome: 'skipped', reason: 'the event names no client' }]);
    const odd = await enrich(envelope('clients.balance_zero', 'ACME'));
    expect(odd.record).toEqual([{ object: 'client', outcome: 'skipped', reason: 'the event\'s client id "ACME" is not a number' }]);
    expect(api.calls).toHaveLength(0);
  });

  it('says in the context and the record when a client is not found, and keeps calling the API', async () => {
    const out = await enrich(envelope('clients.delete', 99));
    const reason = 'not found in VCS: Object "clients(99)" was not found!';
    expect(out.record).toEqual([{ object: 'client', id: '99', outcome: 'failed', reason }]);
    expect(out.context).toEqual({
      enrichment: {
        note: `Details from VCS are missing: client #99 could not be fetched (${reason}).`,
        failed: [{ object: 'client', id: '99', reason }],
      },
    });
    expect((await enrich(envelope('clients.balance_zero', 12))).context.client).toEqual(ACME);
    expect(lines).toEqual([]);
  });

  it('gives up on a slow CoreAPI at the timeout, then pauses calls to it, and says when it answers again', async () => {
    enricher = make({ timeoutMs: 200 });
    api.behaviour.set('clients.get:12', 'slow');
    const started = Date.now();
    const slow = await enrich(envelope('clients.balance_zero', 12));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(slow.context.client).toBeUndefined();
    expect(slow.record).toEqual([{ object: 'client', id: '12', outcome: 'failed', reason: 'no answer from the CoreAPI within 200 ms' }]);
    expect((slow.context.enrichment as { note: string }).note).toBe(
      'Details from VCS are missing: client #12 could not be fetched (no answer from the CoreAPI within 200 ms).',
    );
    api.release();

    // While paused, nothing is sent: every event would otherwise wait the whole timeout.
    c.advance(3_000);
    const paused = await enrich(envelope('clients.balance_zero', 20));
    expect(paused.record).toEqual([
      { object: 'client', id: '20', outcome: 'failed', reason: 'not tried: the CoreAPI failed 3 s ago (no answer from the CoreAPI within 200 ms)' },
    ]);
    expect(callsFor('clients.get', 20)).toBe(0);

    c.advance(7_000);
    expect((await enrich(envelope('clients.balance_zero', 20))).context.client).toEqual(GLOBEX);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ WARN VCS CoreAPI is failing; messages go out without its details until it answers again endpoint=http:\/\/127\.0\.0\.1:\d+\/api\/ reason="no answer from the CoreAPI within 200 ms" pause_ms=10000$/);
    expect(lines[1]).toMatch(/ INFO VCS CoreAPI answers again; messages have their details again endpoint=/);
  });

  it('says the key was refused, and never writes the key anywhere', async () => {
    enricher = make({ apiKey: 'the-wrong-key-4242' });
    const out = await enrich(envelope('clients.balance_zero', 12));
    expect(out.record[0]).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^the CoreAPI refused the API key \(HTTP 401/) });
    expect(JSON.stringify(out)).not.toContain('the-wrong-key-4242');
    expect(lines.join('\n')).not.toContain('the-wrong-key-4242');
    expect(lines.join('\n')).toContain('refused the API key');
  });

  it('takes a malformed answer as a failure with its reason', async () => {
    api.behaviour.set('clients.get:12', 'malformed');
    const out = await enrich(envelope('clients.balance_zero', 12));
    expect(out.record[0]).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^the CoreAPI's answer is not JSON \(HTTP 200, text\/html\)/) });
  });

  it('refuses a result that is not an object', async () => {
    const weird: CoreApi = { endpoint: 'x', call: async () => 'ACME Telecom' };
    const out = await enrich(envelope('clients.balance_zero', 12), ['client'], make({ api: weird }));
    expect(out.record[0]).toMatchObject({ outcome: 'failed', reason: 'the CoreAPI\'s clients.get result is not an object: "ACME Telecom"' });
  });

  it('takes an empty result as not found, which does not pause calls', async () => {
    for (const empty of [null, []]) {
      const api: CoreApi = { endpoint: 'x', call: async () => empty };
      const en = make({ api });
      const out = await enrich(envelope('clients.balance_zero', 12), ['client'], en);
      expect(out.record[0]).toMatchObject({ outcome: 'failed', reason: `not found in VCS (clients.get answered ${JSON.stringify(empty)})` });
      expect(lines).toEqual([]);
    }
  });

  it('does not wait past its timeout even for a call that ignores it', async () => {
    const hanging: CoreApi = { endpoint: 'x', call: () => new Promise(() => {}) };
    const started = Date.now();
    const out = await enrich(envelope('clients.balance_zero', 12), ['client'], make({ api: hanging, timeoutMs: 50 }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(out.record[0]).toMatchObject({ outcome: 'failed', reason: 'no answer from the CoreAPI within 50 ms' });
  });
});

describe('unconfiguredEnricher', () => {
  it('fetches nothing, and records why for each object', async () => {
    const out = await unconfiguredEnricher('enrichment is not configured (VCS_API_URL is not set)').enrich('clients.balance_zero', envelope('clients.balance_zero', 12), ['client']);
    expect(out).toEqual({
      context: {},
      record: [{ object: 'client', id: '12', outcome: 'skipped', reason: 'enrichment is not configured (VCS_API_URL is not set)' }],
    });
  });
});
