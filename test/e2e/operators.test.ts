import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventSummary, Explanation } from '../../src/queue/store.ts';
import { runCli, startServer, tempDataDir, type ServerProcess } from '../support/server-process.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { startSmtp } from '../support/smtp.ts';
import { waitFor, waitForAsync } from '../support/wait.ts';
import { freePort } from '../support/ports.ts';
import { startHttpServer } from '../support/http-server.ts';

// What operators do with a running Switchboard: idempotent intake, the admin API, the CLI on the
// server's DATA_DIR, fallback messages for broken templates, and stopping without losing deliveries.

const RULES_FILE = 'test/fixtures/rules/operators-routing.yaml';
const ADMIN_TOKEN = 'operators-admin-token-7f3a9c';
const DT = '2022-01-24T15:44:47+00:00';

const update = (objectId: number) => ({ event: { dt: DT, events_id: 'clients.update', object_id: objectId }, data: { name: `Client ${objectId}`, credit: 10 } });
const event = (eventsId: string, objectId: number) => ({ event: { dt: DT, events_id: eventsId, object_id: objectId }, data: {} });

interface Ack {
  ok: boolean;
  id: string;
  duplicate?: boolean;
}

async function post(server: ServerProcess, body: unknown): Promise<Ack> {
  const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Ack;
}

/** A Slack API stand-in that holds each chat.postMessage unanswered until `release()`: a send in flight. */
async function startHeldSlack() {
  const held: Array<() => void> = [];
  let requests = 0;
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      held.push(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, channel: 'C0DESK', ts: '1700000000.000100' }));
      });
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    requests: () => requests,
    release: () => held.splice(0).forEach((answer) => answer()),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

describe('a running server with the admin API', () => {
  let slack: Awaited<ReturnType<typeof startSlackApi>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let server: ServerProcess;
  /** While true, the Slack stand-in answers channel_not_found: a permanent error, so a dead delivery. */
  let slackBroken = false;
  /** A message text the Slack stand-in answers internal_error for (an outage: retried, with backoff). */
  let slackDownFor: string | undefined;

  beforeAll(async () => {
    [slack, smtp] = await Promise.all([
      startSlackApi((p) =>
        slackBroken ? { body: { ok: false, error: 'channel_not_found' } } : p.text === slackDownFor ? { body: { ok: false, error: 'internal_error' } } : undefined,
      ),
      startSmtp(),
    ]);
    server = await startServer({
      RULES_FILE,
      SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-operators',
      SLACK_API_URL: slack.url,
      SMTP_URL: smtp.url,
    });
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    await Promise.all([slack?.close(), smtp?.close()]);
  });

  /** An admin API call, with the admin token unless another Authorization header (or null: none) is given. */
  const api = (path: string, init: RequestInit = {}, authorization: string | null = `Bearer ${ADMIN_TOKEN}`) =>
    fetch(`${server.url}/api${path}`, { ...init, headers: authorization === null ? {} : { authorization } });
  const apiJson = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await api(path, init);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const explain = async (id: string) => (await apiJson<{ event: Explanation }>(`/events/${id}`)).event;
  const untilStatus = (id: string, status: Explanation['status']) =>
    waitForAsync(`event ${id} to be ${status}`, async () => {
      const e = await explain(id);
      return e.status === status ? e : undefined;
    });
  const cli = (...args: string[]) => runCli(args, { DATA_DIR: server.dataDir });
  const postedTo = (text: string) => slack.posts.filter((p) => p.text === text).length;

  /** Posts a clients.update while Slack answers channel_not_found; resolves once its delivery is dead. */
  async function deadEvent(objectId: number): Promise<string> {
    slackBroken = true;
    try {
      const { id } = await post(server, update(objectId));
      await untilStatus(id, 'dead');
      return id;
    } finally {
      slackBroken = false;
    }
  }

  it('answers /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, rules: 5 });
  });

  it('acknowledges the same payload twice, in any key order, and delivers it once', async () => {
    const first = await post(server, update(101));
    const again = await post(server, update(101));
    const reordered = await post(server, `{"data":{"credit":10,"name":"Client 101"},"event":{"object_id":101,"events_id":"clients.update","dt":"${DT}"}}`);
    const other = await post(server, update(102));
    expect(first).toMatchObject({ ok: true });
    expect(first.duplicate).toBeUndefined();
    expect(again).toMatchObject({ ok: true, duplicate: true });
    expect(reordered).toMatchObject({ ok: true, duplicate: true });
    expect(other.duplicate).toBeUndefined();

    const mailFirst = await post(server, event('clients.balance_zero', 201));
    const mailAgain = await post(server, event('clients.balance_zero', 201));
    expect(mailAgain).toMatchObject({ duplicate: true });

    await untilStatus(first.id, 'delivered');
    await untilStatus(other.id, 'delivered');
    await untilStatus(mailFirst.id, 'delivered');
    // A duplicate has no deliveries at all, so nothing more can be on its way.
    for (const dup of [again, reordered, mailAgain]) expect(await explain(dup.id)).toMatchObject({ status: 'duplicate', deliveries: 0 });
    expect((await explain(again.id)).duplicateOf).toBe(first.id);
    expect(postedTo('client 101 changed: Client 101')).toBe(1);
    expect(postedTo('client 102 changed: Client 102')).toBe(1);
    expect(smtp.received.filter((m) => m.mail.subject === 'zero 201')).toHaveLength(1);
  });

  it('recognises a repeated payload that carries fields outside event and data', async () => {
    const body = { ...update(103), event: { ...update(103).event, attempt: 1 }, meta: { source: 'vcs' } };
    const first = await post(server, body);
    const again = await post(server, body);
    expect(first.duplicate).toBeUndefined();
    expect(again).toMatchObject({ duplicate: true });
    await untilStatus(first.id, 'delivered');
    expect(postedTo('client 103 changed: Client 103')).toBe(1);
  });

  it('refuses the admin API without the admin token, and never logs it', async () => {
    for (const authorization of [null, 'Bearer wrong-token', `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`]) {
      const res = await api('/events', {}, authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(await res.json()).toEqual({ ok: false, error: 'missing or wrong admin token' });
    }
    expect((await api('/events/anything/replay', { method: 'POST' }, null)).status).toBe(401);
    expect((await api('/dead', { method: 'DELETE' }, 'Bearer wrong-token')).status).toBe(401);
    expect(server.output()).not.toContain(ADMIN_TOKEN);
  });

  it('answers a known path asked with a method it does not take with 405 and Allow, once the token is right', async () => {
    for (const [path, method, allow] of [
      ['/dead', 'GET', 'DELETE'],
      ['/dead/replay', 'GET', 'POST'],
      ['/failed/replay', 'GET', 'POST'],
      ['/events', 'POST', 'GET, HEAD'],
      ['/events/0abc', 'DELETE', 'GET, HEAD'],
      ['/events/0abc/replay', 'GET', 'POST'],
      ['/test', 'PUT', 'POST'],
    ] as const) {
      const res = await api(path, { method });
      expect([res.status, res.headers.get('allow')], `${method} ${path}`).toEqual([405, allow]);
      expect(await res.json()).toEqual({ ok: false, error: `${method} is not allowed on /api${path}; use ${allow}` });
    }
    // The token is checked first: a caller without it learns nothing about the paths.
    const refused = await api('/dead', {}, 'Bearer wrong-token');
    expect([refused.status, refused.headers.get('allow')]).toEqual([401, null]);
    expect((await api('/no-such-path')).status).toBe(404);
  });

  it('lists events, filtered by status and age, and rejects bad filters', async () => {
    const { id } = await post(server, update(110));
    const dup = await post(server, update(110));
    await untilStatus(id, 'delivered');

    const all = await apiJson<{ events: EventSummary[] }>('/events');
    expect(all.events.find((e) => e.id === id)).toMatchObject({ eventId: 'clients.update', objectId: '110', status: 'delivered', deliveries: 1 });
    expect(all.events[0]!.id).toBe(dup.id); // newest first

    const duplicates = await apiJson<{ events: EventSummary[] }>('/events?status=duplicate');
    expect(duplicates.events.map((e) => e.id)).toContain(dup.id);
    expect(duplicates.events.every((e) => e.status === 'duplicate')).toBe(true);
    expect((await apiJson<{ events: EventSummary[] }>('/events?status=dead')).events).toEqual([]);

    expect((await apiJson<{ events: EventSummary[] }>('/events?since=1h')).events.map((e) => e.id)).toContain(id);
    expect((await apiJson<{ events: EventSummary[] }>('/events?since=1h30m')).events.map((e) => e.id)).toContain(id);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await apiJson<{ events: EventSummary[] }>(`/events?since=${future}`)).events).toEqual([]);
    expect((await apiJson<{ events: EventSummary[] }>('/events?limit=2')).events).toHaveLength(2);

    for (const [query, error] of [
      ['status=bogus', 'status must be one of: received, delivered, pending, failed, dead, unrouted, duplicate, held, suppressed'],
      ['since=yesterday', 'since must be a duration such as 30m, 6h, 1h30m or 2d, or an ISO date or date-time such as 2026-11-26 or 2026-11-26T08:00:00Z, got "yesterday"'],
      ['limit=1.5', 'limit must be a whole number of at least 1, got "1.5"'],
      ['limit=0', 'limit must be a whole number of at least 1, got "0"'],
    ]) {
      const res = await api(`/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toEqual({ ok: false, error });
    }
  });

  it('explains an event: matched and skipped rules with reasons, the message, every attempt', async () => {
    const { id } = await post(server, update(120));
    const e = await untilStatus(id, 'delivered');
    expect(e).toMatchObject({
      id,
      eventId: 'clients.update',
      objectId: '120',
      payload: update(120),
      matched: ['client-changed'],
      skipped: [
        { rule: 'big-credit', reason: 'condition is false' },
        { rule: 'never-reached', reason: 'rule "client-changed" matched first and does not continue' },
      ],
    });
    expect(e.deliveryDetails).toEqual([
      {
        id: expect.any(Number),
        rule: 'client-changed',
        destination: 'desk',
        type: 'slack',
        status: 'delivered',
        message: { text: 'client 120 changed: Client 120' },
        attempts: [{ at: expect.any(Number), ok: true, detail: expect.stringMatching(/^ts=/) }],
        // What Slack calls the message (its ts): replies in a thread answer it.
        ref: expect.stringMatching(/^\d+\.\d+$/),
      },
    ]);

    for (const [method, path] of [
      ['GET', '/events/no-such-event'],
      ['POST', '/events/no-such-event/replay'],
    ] as const) {
      const res = await api(path, { method });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ ok: false, error: 'no such event' });
    }
  });

  it('POST /api/test answers what `switchboard test --json` prints of the payload, and sends nothing', async () => {
    const dir = tempDataDir();
    const tried = async (payload: unknown) => {
      const file = join(dir, 'payload.json');
      writeFileSync(file, JSON.stringify(payload));
      const res = await api('/test', { method: 'POST', body: JSON.stringify(payload) });
      expect(res.status).toBe(200);
      const printed = await runCli(['test', '--json', '--rules', RULES_FILE, file]);
      const [fromCli] = JSON.parse(printed.stdout) as Array<Record<string, unknown>>;
      const answer = (await res.json()) as Record<string, unknown>;
      expect(answer).toEqual({ ...fromCli, source: 'the request body' });
      return answer;
    };
    expect(await tried({ ...update(140), data: { name: 'Client 140', credit: 10 } })).toMatchObject({
      ok: true,
      eventId: 'clients.update',
      rules: [
        { name: 'big-credit', status: 'skipped', reason: 'condition is false', falseParts: [expect.objectContaining({ expression: expect.stringContaining('data.credit') })] },
        { name: 'client-changed', status: 'matched' },
        { name: 'never-reached', status: 'skipped', reason: 'rule "client-changed" matched first and does not continue' },
        { name: 'balance-zero', status: 'not_taken' },
        { name: 'broken-template', status: 'not_taken' },
      ],
      deliveries: [{ rule: 'client-changed', destination: 'desk', type: 'slack', message: { text: 'client 140 changed: Client 140' } }],
    });
    // A template that fails: the fallback that would be sent, and ok false.
    expect(await tried(event('clients.create', 141))).toMatchObject({ ok: false, deliveries: [{ rule: 'broken-template', renderError: expect.any(String) }] });
    const bad = await api('/test', { method: 'POST', body: '{"event":{}}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ source: 'the request body', ok: false, error: expect.any(String) });
    expect(postedTo('client 140 changed: Client 140')).toBe(0);
  });

  it('replays a dead delivery once Slack is fixed', async () => {
    const id = await deadEvent(130);
    const dead = await explain(id);
    expect(dead.deliveryDetails[0]).toMatchObject({ status: 'dead', lastError: 'Slack error: channel_not_found', attempts: [{ ok: false, detail: 'Slack error: channel_not_found' }] });
    expect((await apiJson<{ events: EventSummary[] }>('/events?status=dead')).events.map((e) => e.id)).toEqual([id]);
    expect(postedTo('client 130 changed: Client 130')).toBe(0);

    expect(await apiJson(`/events/${id}/replay`, { method: 'POST' })).toEqual({ ok: true, requeued: 1 });
    await waitFor('the replayed message', () => postedTo('client 130 changed: Client 130') === 1);
    const delivered = await untilStatus(id, 'delivered');
    expect(delivered.deliveryDetails[0]!.attempts.map((a) => [a.ok, a.detail])).toEqual([
      [false, 'Slack error: channel_not_found'],
      [true, expect.stringMatching(/^ts=/)],
    ]);
    // The log goes on counting attempts across the replay, as explain lists them.
    const logged = () => server.output().split('\n').filter((l) => l.includes(` event=${id} `));
    await waitFor('the delivery in the log', () => logged().some((l) => l.includes(' INFO delivered ')));
    expect(logged().map((l) => / (INFO|ERROR) (delivered|delivery dead)\b.* attempt=(\d+)/.exec(l)?.slice(1))).toEqual([
      ['ERROR', 'delivery dead', '1'],
      ['INFO', 'delivered', '2'],
    ]);
    // Nothing left to replay.
    expect(await apiJson(`/events/${id}/replay`, { method: 'POST' })).toEqual({ ok: true, requeued: 0 });
  });

  it('replays every dead delivery, and purges dead ones', async () => {
    const [a, b] = [await deadEvent(140), await deadEvent(141)];
    expect(await apiJson('/dead/replay', { method: 'POST' })).toEqual({ ok: true, requeued: 2 });
    await waitFor('both replayed messages', () => postedTo('client 140 changed: Client 140') === 1 && postedTo('client 141 changed: Client 141') === 1);
    await untilStatus(a, 'delivered');
    await untilStatus(b, 'delivered');

    const c = await deadEvent(142);
    expect(await apiJson('/dead', { method: 'DELETE' })).toEqual({ ok: true, purged: 1 });
    expect((await api(`/events/${c}`)).status).toBe(404);
    expect((await apiJson<{ events: EventSummary[] }>('/events?status=dead')).events).toEqual([]);
    expect(await apiJson('/dead', { method: 'DELETE' })).toEqual({ ok: true, purged: 0 });
    expect(postedTo('client 142 changed: Client 142')).toBe(0);
  });

  it('sends the fallback message when a template fails at run time, and says why', async () => {
    const { id } = await post(server, event('clients.create', 301));
    const text = await waitFor('the fallback message', () => slack.posts.find((p) => p.text.includes('for object 301'))?.text);
    expect(text).toBe(
      `VCS event clients.create for object 301 at ${DT}.\n` +
        'Switchboard could not render rule "broken-template" for destination "desk": The partial nope could not be found',
    );
    const e = await untilStatus(id, 'delivered');
    expect(e.deliveryDetails[0]).toMatchObject({ rule: 'broken-template', renderError: 'The partial nope could not be found', message: { text } });

    const human = await cli('explain', id);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('template failed, fallback sent: The partial nope could not be found');

    // The log says so too, once for the message (not once per attempt at sending it).
    const warned = () => server.output().split('\n').filter((l) => l.includes(' WARN template failed') && l.includes(`event=${id} `));
    await waitFor('the warning about the fallback', () => warned().length > 0);
    expect(warned().map((line) => line.replace(/^\S+ /, ''))).toEqual([
      `WARN template failed; the plain fallback message goes instead event=${id} events_id=clients.create rule=broken-template destination=desk error="The partial nope could not be found"`,
    ]);
  });

  describe('the CLI on the running server\'s DATA_DIR', () => {
    it('lists events, all, by status and as JSON', async () => {
      const { id } = await post(server, update(150));
      await untilStatus(id, 'delivered'); // before Slack is broken for the next one
      const dead = await deadEvent(151);

      const all = await cli('events');
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(new RegExp(`^${id}  \\S+ \\S+Z  delivered  clients\\.update \\(object 150\\), 1 delivery$`, 'm'));
      expect(all.stdout).toMatch(new RegExp(`^${dead}  .*  dead +clients\\.update \\(object 151\\)`, 'm'));

      const onlyDead = await cli('events', '--status', 'dead');
      expect(onlyDead.code).toBe(0);
      expect(onlyDead.stdout.trim().split('\n')).toEqual([expect.stringContaining(dead)]);
      // Every event here was routed at once.
      expect(await cli('events', '--status', 'received')).toMatchObject({ code: 0, stdout: 'no events\n' });

      const json = await cli('events', '--json', '--since', '0h10m');
      expect(json.code).toBe(0);
      const listed = JSON.parse(json.stdout) as EventSummary[];
      expect(listed.find((e) => e.id === id)).toEqual({ id, eventId: 'clients.update', objectId: '150', receivedAt: expect.any(Number), status: 'delivered', deliveries: 1 });

      expect(await cli('events', '--limit', '1')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\S+ [^\n]+\n$/) });
      expect(await cli('purge', '--dead')).toMatchObject({ code: 0, stdout: 'purged 1 dead delivery\n' });
      expect(await cli('events', '--status', 'dead')).toMatchObject({ code: 0, stdout: 'no events\n' });
    });

    it('explains a dead event in words and as JSON, and replays it; the running server sends it within its poll', async () => {
      const one = await deadEvent(170);
      const human = await cli('explain', one);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`event ${one}: clients.update (object 170)`);
      expect(human.stdout).toContain('rule client-changed: matched');
      expect(human.stdout).toContain('rule big-credit: skipped, condition is false');
      expect(human.stdout).toContain('rule never-reached: skipped, rule "client-changed" matched first and does not continue');
      expect(human.stdout).toContain('to desk (slack) from rule client-changed: dead');
      expect(human.stdout).toMatch(/Z {2}failed {2}Slack error: channel_not_found/);
      expect(human.stdout).toContain('message: {"text":"client 170 changed: Client 170"}');
      const json = await cli('explain', one, '--json');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(await explain(one));

      const replayed = await cli('replay', one);
      expect(replayed).toMatchObject({ code: 0, stdout: `queued 1 delivery of ${one} again\n` });
      await waitFor('the message replayed from the CLI', () => postedTo('client 170 changed: Client 170') === 1, 5_000);
      const e = await untilStatus(one, 'delivered');
      expect(e.deliveryDetails[0]!.attempts.map((a) => a.ok)).toEqual([false, true]);

      const again = await cli('explain', one);
      expect(again.stdout).toMatch(/Z {2}failed {2}Slack error: channel_not_found\n.*Z {2}ok {6}ts=/);
    });

    it('takes a payload saved with `explain --json` for check --samples, test and a test case, as the README suggests', async () => {
      const { id } = await post(server, update(180));
      await untilStatus(id, 'delivered');
      const saved = await cli('explain', id, '--json');
      expect(saved.code).toBe(0);
      const dir = tempDataDir();
      const file = join(dir, 'captured.json');
      writeFileSync(file, saved.stdout);
      writeFileSync(join(dir, 'cases.yaml'), 'cases:\n  - name: captured\n    payload: captured.json\n    expect: { rules: [client-changed] }\n');

      const tried = await runCli(['test', file, '--rules', RULES_FILE]);
      expect(tried.stderr).toBe('');
      expect(tried.stdout).toContain('MATCH  client-changed → desk');
      expect(tried.code).toBe(0);
      // This test's rules fail check on purpose (a missing partial): the shipped ones are checked.
      expect(await runCli(['check', 'rules.yaml', '--samples', file])).toMatchObject({ code: 0, stderr: expect.not.stringContaining('missing field') });
      expect(await runCli(['test', '--cases', join(dir, 'cases.yaml'), '--rules', RULES_FILE])).toMatchObject({ code: 0, stdout: expect.stringContaining('PASS  captured') });
    });

    it('replays every dead delivery', async () => {
      const [x, y] = [await deadEvent(171), await deadEvent(172)];
      expect(await cli('replay', '--dead')).toMatchObject({ code: 0, stdout: 'queued 2 dead deliveries again\n' });
      await waitFor('both messages replayed from the CLI', () => postedTo('client 171 changed: Client 171') === 1 && postedTo('client 172 changed: Client 172') === 1, 5_000);
      await untilStatus(x, 'delivered');
      await untilStatus(y, 'delivered');
    });

    it("replays a recovered destination's failed deliveries at once, not at their next retry", async () => {
      const text = 'client 173 changed: Client 173';
      slackDownFor = text;
      const { id } = await post(server, update(173));
      // Four failed tries (about 7 s): the next one is 4 to 8 s off, so that the replay below,
      // one CLI run and the server's pick-up within a second, surely comes first.
      const failed = await waitForAsync('four failed tries', async () => {
        const e = await explain(id);
        return e.deliveryDetails[0]!.attempts.length >= 4 ? e : undefined;
      }, 15_000);
      expect(failed.status).toBe('failed');
      const nextTry = failed.deliveryDetails[0]!.nextAt!;
      slackDownFor = undefined;
      expect(await cli('replay', '--failed', '--destination', 'desk')).toMatchObject({ code: 0, stdout: 'queued 1 failed delivery to desk again\n' });
      const delivered = await untilStatus(id, 'delivered');
      expect(delivered.deliveryDetails[0]!.attempts.map((a) => a.ok)).toEqual([false, false, false, false, true]);
      expect(postedTo(text)).toBe(1);
      // Sent when replayed, before the try its backoff had planned.
      expect(delivered.deliveryDetails[0]!.attempts[4]!.at).toBeLessThan(nextTry);
      expect(await cli('replay', '--failed', '--destination', 'finance')).toMatchObject({ code: 0, stdout: 'queued 0 failed deliveries to finance again\n' });
      expect(await apiJson('/failed/replay?destination=desk', { method: 'POST' })).toEqual({ ok: true, requeued: 0 });
      expect(await cli('replay', '--failed', '--destination', 'old-desk', '--to', 'desk')).toMatchObject({ code: 0, stdout: 'queued 0 failed deliveries of old-desk again, to desk\n' });
      expect(await apiJson('/failed/replay?destination=old-desk&to=desk', { method: 'POST' })).toEqual({ ok: true, requeued: 0 });
      const noFrom = await api('/dead/replay?to=desk', { method: 'POST' });
      expect([noFrom.status, await noFrom.json()]).toEqual([400, { ok: false, error: '"to" needs "destination": the destination whose deliveries go to another' }]);
    });

    it('says what is wrong with bad arguments (exit 2) and unknown ids (exit 1)', async () => {
      const usage: Array<[string[], string]> = [
        [['events', '--status', 'bogus'], '--status must be one of: received, delivered, pending, failed, dead, unrouted, duplicate, held, suppressed'],
        [['events', '--status='], '--status must be one of: received, delivered, pending, failed, dead, unrouted, duplicate, held, suppressed'],
        [['events', '--since', 'yesterday'], '--since must be a duration such as 30m, 6h, 1h30m or 2d, or an ISO date or date-time such as 2026-11-26 or 2026-11-26T08:00:00Z, got "yesterday"'],
        [['events', '--limit', '1.5'], '--limit must be a whole number of at least 1, got "1.5"'],
        [['replay'], 'replay takes one event id, --dead or --failed\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]'],
        [['replay', 'x', '--dead'], 'replay takes one event id, --dead or --failed\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]'],
        [['replay', 'x', '--destination', 'desk'], '--destination and --to go with --dead or --failed; an event id names its deliveries already\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]'],
        [['replay', 'x', '--to', 'desk'], '--destination and --to go with --dead or --failed; an event id names its deliveries already\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]'],
        [['replay', '--dead', '--to', 'desk'], '--to needs --destination: the destination whose deliveries go to another\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]'],
        // Words the command does not take are refused, not ignored: `events dead` would list everything.
        [['events', 'dead'], 'switchboard: events takes no arguments, got "dead"; filter with --status, --since and --limit\nRun "switchboard help" for the commands and their options.'],
        [['explain', 'a', 'b'], 'switchboard: explain takes one event id\nRun "switchboard help" for the commands and their options.'],
        [['replay', 'a', 'b'], 'replay takes one event id, --dead or --failed\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]'],
        [['purge', '--dead', 'all'], 'switchboard: purge --dead takes no arguments\nRun "switchboard help" for the commands and their options.'],
      ];
      for (const [args, message] of usage) {
        const r = await cli(...args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr.trim(), args.join(' ')).toBe(message);
        expect(r.stdout).toBe('');
      }
      for (const command of ['explain', 'replay']) {
        const r = await cli(command, 'no-such-event');
        expect(r, command).toMatchObject({ code: 1, stderr: 'no event no-such-event\n' });
      }
    });

    it('refuses a DATA_DIR with no outbox instead of creating an empty one', async () => {
      const elsewhere = `${tempDataDir()}/missing`;
      const r = await runCli(['events'], { DATA_DIR: elsewhere });
      expect(r).toMatchObject({ code: 1, stderr: `no outbox at ${elsewhere}/switchboard.db: set DATA_DIR to the folder the server uses\n` });
    });
  });

  it('never wrote the admin token or the bot token to its output', () => {
    expect(server.output()).toContain('listening on');
    expect(server.output()).not.toContain(ADMIN_TOKEN);
    expect(server.output()).not.toContain('xoxb-operators');
  });
});

describe('a server without SWITCHBOARD_ADMIN_TOKEN', () => {
  it('has no admin API', async () => {
    const server = await startServer({ RULES_FILE });
    try {
      for (const [method, path] of [
        ['GET', '/api/events'],
        ['GET', '/api/events/x'],
        ['POST', '/api/dead/replay'],
        ['POST', '/api/failed/replay'],
        ['DELETE', '/api/dead'],
      ]) {
        const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: 'Bearer anything' } });
        expect(res.status, path).toBe(404);
      }
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes a send in flight before exiting 0', async () => {
    const slack = await startHeldSlack();
    const env = { RULES_FILE, DATA_DIR: tempDataDir(), SLACK_BOT_TOKEN: 'xoxb-operators', SLACK_API_URL: slack.url };
    let server: ServerProcess | undefined;
    try {
      server = await startServer(env);
      const { id } = await post(server, update(401));
      await waitFor('the message to reach Slack', () => slack.requests() === 1);
      const exited = new Promise<number | null>((done) => server!.child.once('exit', done));
      server.child.kill('SIGTERM');
      await waitFor('the server to see SIGTERM', () => server!.output().includes('SIGTERM received'));
      slack.release();
      expect(await exited).toBe(0);
      expect(server.output()).toMatch(/INFO stopped\n$/);

      // Recorded as sent before exiting: the stopped server's outbox says so, and nothing is left to send again.
      const explained = await runCli(['explain', id, '--json'], { DATA_DIR: env.DATA_DIR });
      expect(JSON.parse(explained.stdout)).toMatchObject({ status: 'delivered', deliveryDetails: [{ attempts: [{ ok: true, detail: 'ts=1700000000.000100' }] }] });
    } finally {
      await server?.stop('SIGKILL');
      await slack.close();
    }
  });

  it('waits at most 10 s for a send still in flight, exits 0, and sends it again after the restart', async () => {
    // A webhook that never answers the first request, with a timeout of its own longer than the wait.
    const hook = await startHttpServer(() => (hook.requests.length === 1 ? new Promise(() => {}) : { status: 204 }));
    const dir = tempDataDir();
    const rulesFile = join(dir, 'rules.yaml');
    writeFileSync(rulesFile, `destinations:\n  hook: { type: webhook, url: "${hook.url}/in", timeout_ms: 60000 }\nrules:\n  - { name: all, events: clients.update, to: hook }\n`);
    const env = { RULES_FILE: rulesFile, DATA_DIR: dir };
    let server: ServerProcess | undefined;
    try {
      server = await startServer(env);
      const { id } = await post(server, update(402));
      await waitFor('the message to reach the webhook', () => hook.requests.length === 1);
      const exited = new Promise<number | null>((done) => server!.child.once('exit', done));
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const waited = Date.now() - signalled;
      expect(waited).toBeGreaterThanOrEqual(10_000);
      expect(waited).toBeLessThan(20_000);
      // Never answered, so not recorded: still to send.
      const left = JSON.parse((await runCli(['explain', id, '--json'], { DATA_DIR: dir })).stdout);
      expect(left).toMatchObject({ status: 'pending', deliveryDetails: [{ status: 'pending', attempts: [] }] });

      server = await startServer(env);
      await waitForAsync('the message delivered after the restart', async () => JSON.parse((await runCli(['explain', id, '--json'], { DATA_DIR: dir })).stdout).status === 'delivered');
      expect(hook.requests).toHaveLength(2);
    } finally {
      await server?.stop('SIGKILL');
      await hook.close();
    }
  }, 60_000);

  it('keeps deliveries pending across SIGTERM while SMTP is down, and sends them after a restart', async () => {
    const port = await freePort();
    const env = { RULES_FILE, DATA_DIR: tempDataDir(), SMTP_URL: `smtp://127.0.0.1:${port}` };
    const running: ServerProcess[] = [];
    let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
    try {
      const first = await startServer(env);
      running.push(first);
      const ids = [(await post(first, event('clients.balance_zero', 501))).id, (await post(first, event('clients.balance_zero', 502))).id];
      await waitForAsync('both deliveries to fail once', async () => {
        const failed = await runCli(['events', '--status', 'failed'], { DATA_DIR: env.DATA_DIR });
        return ids.every((id) => failed.stdout.includes(id));
      });
      // Failed attempts to one destination are logged once a minute at most.
      expect(first.output().match(/delivery failed; will retry/g)).toHaveLength(1);
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(first.output()).toMatch(/INFO stopped\n$/);

      // The CLI reads the stopped server's outbox.
      const stopped = await runCli(['events', '--status', 'failed'], { DATA_DIR: env.DATA_DIR });
      expect(stopped.code).toBe(0);
      for (const id of ids) expect(stopped.stdout).toContain(id);
      const why = await runCli(['explain', ids[0]!], { DATA_DIR: env.DATA_DIR });
      expect(why.stdout).toMatch(/to finance \(email\) from rule balance-zero: pending, next attempt/);
      expect(why.stdout).toMatch(/Z {2}failed {2}network error: /);

      smtp = await startSmtp(undefined, port);
      const second = await startServer(env);
      running.push(second);
      await waitFor('both e-mails after the restart', () => smtp!.received.length >= 2, 15_000);
      expect(smtp.received.map((m) => m.mail.subject).sort()).toEqual(['zero 501', 'zero 502']);
      await waitForAsync('both events delivered', async () => {
        const r = await runCli(['events', '--status', 'delivered', '--json'], { DATA_DIR: env.DATA_DIR });
        const delivered = (JSON.parse(r.stdout) as EventSummary[]).map((e) => e.id);
        return ids.every((id) => delivered.includes(id));
      });
      expect(await second.stop()).toBe(0);
      expect(smtp.received).toHaveLength(2);
    } finally {
      for (const s of running) await s.stop('SIGKILL');
      await smtp?.close();
    }
  });
});
