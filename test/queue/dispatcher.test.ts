import { afterEach, describe, expect, it } from 'vitest';
import type { Sender } from '../../src/channels/channel.ts';
import { connectDestinations, closeDestinations, type Connection } from '../../src/deliver/senders.ts';
import { Planner } from '../../src/deliver/plan.ts';
import { silentLogger } from '../../src/log.ts';
import { compileTemplate } from '../../src/node/template-compiler.ts';
import { Dispatcher } from '../../src/queue/dispatcher.ts';
import { DurableIntake } from '../../src/queue/intake.ts';
import { RoutingStage } from '../../src/queue/routing.ts';
import type { Store } from '../../src/queue/store.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { startSmtp } from '../support/smtp.ts';
import { postEvent } from '../support/post-event.ts';
import { commit, newEvent, tempStore } from '../support/store.ts';
import { waitFor, waitForAsync } from '../support/wait.ts';
import { startHttpServer } from '../support/http-server.ts';
import { freePort } from '../support/ports.ts';
import { loadRules } from '../support/rules.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real intake, store and dispatcher around a rules file, as the server wires them. */
function pipeline(yaml: string, env: Record<string, string>, policy = { baseDelayMs: 50, maxDelayMs: 200, maxAgeMs: 60_000 }) {
  const config = loadRules(yaml, { env });
  const { store } = tempStore();
  const connections: Map<string, Connection> = connectDestinations(config, env, silentLogger);
  const dispatcher = new Dispatcher(store, () => ({ destinations: config.destinations, connections }), { log: silentLogger, policy, pollMs: 100 });
  const planner = new Planner(config, compileTemplate);
  const routing = new RoutingStage(store, () => planner, { log: silentLogger, routed: () => dispatcher.notify() });
  const intake = new DurableIntake(store, { idempotencyWindowMs: 0, committed: () => routing.notify() });
  cleanups.push(async () => {
    routing.stop();
    await dispatcher.stop(1_000);
    await closeDestinations(connections);
    await store.close();
  });
  const post = (objectId: number, eventsId = 'clients.balance_zero') => postEvent(intake, eventsId, objectId);
  return { store: store as Store, dispatcher, post, connections, destinations: config.destinations, policy };
}

const slackRules = (paceMs?: number) => `
destinations:
  desk: { type: slack, channel: "#desk"${paceMs === undefined ? '' : `, pace_ms: ${paceMs}`} }
rules:
  - { name: zero, events: clients.balance_zero, to: desk, template: { slack: { text: "zero {{event.object_id}}" } } }
`;

/** A Slack API that answers the first post with a 429 and `Retry-After`, and records when the others came. */
async function slackLimitingOnce(retryAfterSeconds: number) {
  let answered429At = 0;
  const later: number[] = [];
  const slack = await startSlackApi((_post, n) => {
    if (n !== 1) return void later.push(Date.now());
    answered429At = Date.now();
    return { status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: { ok: false, error: 'ratelimited' } };
  });
  cleanups.push(slack.close);
  return { slack, later, answered429At: () => answered429At };
}

describe('dispatcher', () => {
  it('waits exactly as long as Slack\'s Retry-After says, never less', async () => {
    const arrivals: number[] = [];
    let answered429At = 0;
    const slack = await startSlackApi((_post, n) => {
      arrivals.push(Date.now());
      if (n === 1) {
        answered429At = Date.now();
        return { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } };
      }
      return undefined;
    });
    cleanups.push(slack.close);
    const { store, post } = pipeline(slackRules(0), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url });
    const id = await post(1);
    await waitFor('the retried message', () => slack.posts.length === 1);
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1]! - answered429At).toBeGreaterThanOrEqual(1_000);
    const attempts = await waitForAsync('both attempts recorded', async () => {
      const a = (await store.explain(id))!.deliveryDetails[0]!.attempts;
      return a.length === 2 ? a : undefined;
    });
    expect(attempts.map((a) => a.detail)).toEqual(['Slack error: ratelimited', expect.stringMatching(/^ts=/)]);
  });

  it('holds back the whole Slack channel on a Retry-After also when it is not paced (pace_ms: 0)', async () => {
    const { slack, later, answered429At } = await slackLimitingOnce(1);
    const { post } = pipeline(slackRules(0), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url });
    await Promise.all([post(1), post(2), post(3)]);
    await waitFor('every message', () => slack.posts.length === 3);
    expect(later).toHaveLength(3);
    for (const at of later) expect(at - answered429At()).toBeGreaterThanOrEqual(1_000);
  });

  it('keeps a Slack channel held back by Retry-After across a restart, for messages routed after it too', async () => {
    const { slack, later, answered429At } = await slackLimitingOnce(2);
    const { store, post, dispatcher, connections, destinations, policy } = pipeline(slackRules(1), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url });
    await Promise.all([post(1), post(2)]);
    await waitForAsync('the 429 recorded', async () => answered429At() > 0 && (await store.events({ status: 'failed' })).length === 1);
    // A restart: the new dispatcher knows of the hold only from the store.
    await dispatcher.stop(1_000);
    const restarted = new Dispatcher(store, () => ({ destinations, connections }), { log: silentLogger, policy, pollMs: 100 });
    cleanups.push(() => restarted.stop(1_000));
    restarted.notify();
    // Routed after the 429, so not among the deliveries it postponed.
    await post(3);
    await waitFor('the three messages', () => slack.posts.length === 3, 15_000);
    expect(later).toHaveLength(3);
    for (const at of later) expect(at - answered429At()).toBeGreaterThanOrEqual(2_000);
  });

  it.each([
    ['pace_ms: 150', 150],
    ['not set: 1 s', undefined],
  ])('paces messages to one Slack channel (%s)', async (_name, paceMs) => {
    const slack = await startSlackApi();
    cleanups.push(slack.close);
    const { post, connections } = pipeline(slackRules(paceMs), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url });
    // When the dispatcher starts each send (arrival times add the loopback's jitter under load).
    const started: number[] = [];
    const real = connections.get('desk') as { sender: Sender<unknown> };
    connections.set('desk', { sender: { send: (m) => (started.push(Date.now()), real.sender.send(m)) } });
    await Promise.all([1, 2, 3, 4].map((n) => post(n)));
    await waitFor('4 messages', () => slack.posts.length === 4);
    expect(slack.posts.map((p) => p.text)).toEqual(['zero 1', 'zero 2', 'zero 3', 'zero 4']);
    const gaps = started.slice(1).map((t, i) => t - started[i]!);
    // A timer may fire up to a millisecond early by Date.now()'s rounding.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual((paceMs ?? 1_000) - 1);
  });

  it.each([
    ['concurrency: 3', ', concurrency: 3', 3],
    ['not set: 16', '', 16],
  ])('keeps as many messages in flight to a webhook as its concurrency says (%s), and no more', async (_name, setting, concurrency) => {
    let open = 0;
    let maxOpen = 0;
    // A slow webhook: each answer takes 100 ms.
    const hook = await startHttpServer(
      () =>
        new Promise((answer) => {
          maxOpen = Math.max(maxOpen, ++open);
          setTimeout(() => {
            open--;
            answer({ status: 204 });
          }, 100);
        }),
    );
    cleanups.push(hook.close);
    const rules = `
destinations:
  hook: { type: webhook, url: "${hook.url}/in"${setting} }
rules:
  - { name: zero, events: clients.balance_zero, to: hook }
`;
    const { post } = pipeline(rules, {});
    // More events at once than it may send at once: their deliveries due together.
    const events = concurrency * 3;
    await Promise.all(Array.from({ length: events }, (_, i) => post(i + 1)));
    await waitFor('every message', () => hook.requests.length === events);
    expect(maxOpen).toBe(concurrency);
  });

  it('sends at most 4 e-mails at once to one destination', async () => {
    // A slow mail server: each answer takes 100 ms.
    const smtp = await startSmtp(undefined, 0, undefined, 100);
    cleanups.push(smtp.close);
    const rules = `
destinations:
  finance: { type: email, to: finance@example.com }
rules:
  - { name: zero, events: clients.balance_zero, to: finance }
`;
    const { post } = pipeline(rules, { SMTP_URL: smtp.url, MAIL_FROM: 'switchboard@example.com' });
    await Promise.all(Array.from({ length: 12 }, (_, i) => post(i + 1)));
    await waitFor('every e-mail', () => smtp.received.length === 12);
    expect(smtp.mostAtOnce()).toBe(4);
  });

  it('keeps retrying while the SMTP server is down and delivers when it is back', async () => {
    const port = await freePort();
    const { store, post } = pipeline(
      `destinations:\n  finance: { type: email, to: f@x.example }\nrules:\n  - { name: zero, events: clients.balance_zero, to: finance }\n`,
      { SMTP_URL: `smtp://127.0.0.1:${port}` },
    );
    const id = await post(7);
    await waitForAsync('two failed attempts', async () => (((await store.explain(id))!.deliveryDetails[0]?.attempts.length ?? 0) >= 2 ? true : undefined));
    expect((await store.explain(id))!.status).toBe('failed');
    const smtp = await startSmtpOn(port);
    await waitFor('the e-mail', () => smtp.received.length === 1);
    expect(smtp.received[0]!.mail.subject).toBe('[VCS] Client balance reached zero');
    await waitForAsync('delivered status', async () => (await store.explain(id))!.status === 'delivered');
  });

  it('keeps retrying while Slack is down (HTTP 503) and posts once when it is back', async () => {
    let down = true;
    const slack = await startSlackApi(() => (down ? { status: 503, body: { ok: false, error: 'service_unavailable' } } : undefined));
    cleanups.push(slack.close);
    const { store, post } = pipeline(slackRules(0), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url });
    const id = await post(8);
    await waitForAsync('two failed attempts', async () => (((await store.explain(id))!.deliveryDetails[0]?.attempts.length ?? 0) >= 2 ? true : undefined));
    const failed = (await store.explain(id))!;
    expect(failed).toMatchObject({ status: 'failed', deliveryDetails: [{ status: 'pending', lastError: expect.stringMatching(/^HTTP 503/) }] });
    down = false;
    await waitFor('the message', () => slack.posts.length === 1);
    expect(slack.posts[0]!.text).toBe('zero 8');
    await waitForAsync('delivered status', async () => (await store.explain(id))!.status === 'delivered');
    expect(slack.posts).toHaveLength(1);
  });

  it('sends a permanent error to the dead letters at once, and replay sends it again', async () => {
    let broken = true;
    const slack = await startSlackApi(() => (broken ? { body: { ok: false, error: 'channel_not_found' } } : undefined));
    cleanups.push(slack.close);
    const { store, dispatcher, post } = pipeline(slackRules(0), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url });
    const id = await post(3);
    const dead = await waitForAsync('a dead delivery', async () => {
      const e = await store.explain(id);
      return e!.status === 'dead' ? e : undefined;
    });
    expect(dead.deliveryDetails[0]).toMatchObject({ status: 'dead', lastError: 'Slack error: channel_not_found' });
    expect(dead.deliveryDetails[0]!.attempts).toHaveLength(1);
    broken = false;
    expect(await store.replayAll(Date.now(), { status: 'dead' })).toHaveLength(1);
    dispatcher.notify();
    await waitFor('the replayed message', () => slack.posts.length === 1);
    await waitForAsync('delivered status', async () => (await store.explain(id))!.status === 'delivered');
  });

  it('records who did not get an e-mail that reached only some of its recipients', async () => {
    const smtp = await startSmtp(undefined, 0, (address) => (address === 'gone@x.example' ? { code: 550, message: '5.1.1 no such user' } : undefined));
    cleanups.push(smtp.close);
    const yaml = `
destinations:
  finance: { type: email, to: [finance@x.example, gone@x.example] }
rules:
  - { name: zero, events: clients.balance_zero, to: finance }
`;
    const { store, post } = pipeline(yaml, { SMTP_URL: smtp.url });
    const id = await post(5);
    const e = await waitForAsync('the e-mail recorded', async () => {
      const x = await store.explain(id);
      return x!.status === 'delivered' ? x : undefined;
    });
    expect(e.deliveryDetails[0]!.attempts).toEqual([{ at: expect.any(Number), ok: true, detail: expect.stringMatching(/; not accepted for gone@x\.example \(550 5\.1\.1 no such user\)$/) }]);
    expect(smtp.received.map((r) => r.to)).toEqual([['finance@x.example']]);
  });

  it('gives up after the maximum age', async () => {
    const slack = await startSlackApi(() => ({ status: 503, body: { ok: false, error: 'service_unavailable' } }));
    cleanups.push(slack.close);
    const { store, post } = pipeline(slackRules(0), { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: slack.url }, { baseDelayMs: 20, maxDelayMs: 50, maxAgeMs: 300 });
    const id = await post(4);
    const e = await waitForAsync('a dead delivery', async () => {
      const x = await store.explain(id);
      return x!.status === 'dead' ? x : undefined;
    });
    expect(e.deliveryDetails[0]!.lastError).toMatch(/^gave up after \d+ attempts over 0 s: HTTP 503/);
    expect(e.deliveryDetails[0]!.attempts.length).toBeGreaterThan(2);
  });

  it('gives up on deliveries for a destination the rules no longer have, so they show as dead', async () => {
    const { store } = tempStore();
    const dispatcher = new Dispatcher(store, () => ({ destinations: new Map(), connections: new Map() }), { log: silentLogger, pollMs: 50 });
    cleanups.push(async () => {
      await dispatcher.stop(100);
      await store.close();
    });
    const e = newEvent({ destinations: ['gone'] });
    await commit(store, [e], 0);
    dispatcher.notify();
    const dead = await waitForAsync('a dead delivery', async () => {
      const x = await store.explain(e.id);
      return x!.status === 'dead' ? x : undefined;
    });
    expect(dead.deliveryDetails[0]!.lastError).toBe(
      'destination "gone" is no longer in the rules; restore it and replay, or if it was renamed, replay --dead --destination gone --to <its new name>',
    );
  });

  it('sends the dead deliveries of a renamed destination to its new name when replayed --to it; to one of another type they die again, saying why', async () => {
    const sink = await startHttpServer(() => ({ status: 204 }));
    cleanups.push(sink.close);
    // The rules after a reload renamed "ops" to "ops-team".
    const { store, dispatcher } = pipeline(`destinations:\n  ops-team: { type: webhook, url: "${sink.url}/hook" }\n  desk: { type: slack, channel: "#desk" }\nrules:\n  - { name: r, events: "*", to: ops-team }\n`, {});
    const [a, b, c] = [newEvent({ destinations: ['ops'] }), newEvent({ destinations: ['ops'] }), newEvent({ destinations: ['old-desk'] })];
    await commit(store, [a, b, c], 0);
    dispatcher.notify();
    const status = async (id: string) => (await store.explain(id))!.status;
    await waitForAsync('all dead', async () => (await Promise.all([a, b, c].map((e) => status(e.id)))).every((s) => s === 'dead'));

    expect(await store.replayAll(Date.now(), { status: 'dead', destination: 'ops', to: 'ops-team' })).toHaveLength(2);
    dispatcher.notify();
    await waitFor('both at the sink', () => sink.requests.length === 2);
    await waitForAsync('both delivered', async () => (await status(a.id)) === 'delivered' && (await status(b.id)) === 'delivered');
    expect((await store.explain(a.id))!.deliveryDetails[0]).toMatchObject({ destination: 'ops-team', status: 'delivered' });

    expect(await store.replayAll(Date.now(), { status: 'dead', destination: 'old-desk', to: 'desk' })).toHaveLength(1);
    dispatcher.notify();
    const again = await waitForAsync('dead again', async () => {
      const x = await store.explain(c.id);
      return x!.status === 'dead' && x!.deliveryDetails[0]!.destination === 'desk' ? x : undefined;
    });
    expect(again.deliveryDetails[0]!.lastError).toBe('destination "desk" is now of type slack, and this message was made for webhook; give it back type webhook and replay, or purge it');
    expect(sink.requests).toHaveLength(2);
  });

  it('logs, and records as done, messages for destinations without credentials', async () => {
    const { store, post } = pipeline(slackRules(0), {});
    const id = await post(5);
    const e = await waitForAsync('done', async () => {
      const x = await store.explain(id);
      return x!.status === 'delivered' ? x : undefined;
    });
    expect(e.deliveryDetails[0]!.attempts[0]!.detail).toBe('logged: SLACK_BOT_TOKEN is not set');
  });
});

async function startSmtpOn(port: number) {
  const smtp = await startSmtp(undefined, port);
  cleanups.push(smtp.close);
  return smtp;
}
