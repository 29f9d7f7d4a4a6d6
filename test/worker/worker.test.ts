/**
 * The Workers build in the real workerd runtime (wrangler dev on 127.0.0.1, local D1 and queues),
 * with the shipped rules.yaml, against a real SMTP server, a Slack API stand-in and a webhook sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoreApi, type CoreApiStandIn } from '../support/coreapi.ts';
import { ALL, FINANCE, fixture, payloadOf, PROVISIONING, RATE_FAILURES } from '../support/shipped-events.ts';
import { startHttpServer } from '../support/http-server.ts';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { startSlackApi, type SlackAnswer } from '../support/slack-api.ts';
import { startSmtp } from '../support/smtp.ts';
import { waitFor, waitForAsync } from '../support/wait.ts';
import { startWorker, type WorkerProcess } from '../support/worker-process.ts';

const TOKEN = 'worker-secret-token';
const ADMIN = 'worker-admin-token';

/**
 * A rate-import failure no earlier test posted (a repeat would be a duplicate), from a mailbox of
 * its own: the shipped rules group failures per mailbox, and a mailbox's first is told at once.
 */
function freshFailure(objectId: number): string {
  const payload = JSON.parse(fixture('email_rates_manager.no_attachments'));
  payload.event.object_id = objectId;
  payload.data.credentials.login = `rates-${objectId}@carrier.example`;
  return JSON.stringify(payload);
}

describe('the Worker with the shipped rules.yaml', () => {
  let slack: Awaited<ReturnType<typeof startSlackApi>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hook: Awaited<ReturnType<typeof startHttpServer>>;
  let api: CoreApiStandIn;
  let worker: WorkerProcess;
  /** How the Slack stand-in answers the next posts; tests set it. */
  let slackAnswer: (n: number) => SlackAnswer | undefined = () => undefined;
  const slackTimes: number[] = [];

  const vars = () => ({
    SWITCHBOARD_TOKEN: TOKEN,
    SWITCHBOARD_ADMIN_TOKEN: ADMIN,
    SLACK_BOT_TOKEN: 'xoxb-worker',
    SLACK_API_URL: slack.url,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Switchboard <switchboard@billing.example>',
    FINANCE_EMAIL: 'finance@carrier.example',
    SLACK_RATE_DESK_CHANNEL: '#rate-desk',
    PROVISIONING_WEBHOOK_URL: `${hook.url}/provisioning`,
    PROVISIONING_WEBHOOK_TOKEN: 'hook-secret',
    VCS_API_URL: api.url,
    VCS_API_KEY: 'vcs-key',
  });

  beforeAll(async () => {
    [slack, smtp, hook] = await Promise.all([
      startSlackApi((_post, n) => {
        slackTimes.push(Date.now());
        return slackAnswer(n);
      }),
      startSmtp(),
      startHttpServer(() => ({ status: 204 })),
    ]);
    api = await startCoreApi('vcs-key');
    api.objects.set('clients.get:12', { id: 12, name: 'ACME Telecom', balance: -3.5, credit: 500, currency: 'USD', status: 'active' });
    worker = await startWorker(vars());
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await Promise.all([slack?.close(), smtp?.close(), hook?.close(), api?.close()]);
  });

  const post = (body: string, path = `/hooks/vcs?token=${TOKEN}`) => fetch(`${worker.url}${path}`, { method: 'POST', body });
  const admin = async <T>(path: string, method = 'GET'): Promise<T> =>
    (await (await fetch(`${worker.url}/api${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } })).json()) as T;
  type Explained = {
    status: string;
    deliveries: number;
    matched: string[];
    deliveryDetails: Array<{ id: number; status: string; lastError?: string; hold?: string; replyTo?: number; attempts: Array<{ ok: boolean; detail: string }> }>;
  };
  const settled = (id: string, want: (e: Explained) => boolean, timeoutMs = 30_000) =>
    waitForAsync(`event ${id} on the Worker`, async () => {
      const { event } = await admin<{ event: Explained }>(`/events/${id}`);
      return want(event) ? event : undefined;
    }, timeoutMs);

  it('answers /healthz, and refuses a wrong token, malformed JSON and an oversized body as on Node', async () => {
    // The version is what `switchboard check` says of the same files.
    const { version } = JSON.parse((await runCli(['check', '--json', 'rules.yaml'])).stdout) as { version: string };
    expect(await (await fetch(`${worker.url}/healthz`)).json()).toEqual({
      ok: true,
      runtime: 'workers',
      rules: 5,
      config: { file: 'rules.yaml', version, built_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    const noToken = await post(fixture('clients.create'), '/hooks/vcs');
    expect([noToken.status, await noToken.json()]).toEqual([401, { ok: false, error: 'missing or wrong token' }]);
    for (const path of ['/hooks/vcs/%zz', `/hooks/vcs?token=${TOKEN}&token=wrong`, `/hooks/vcs?token=${TOKEN}&token=`]) {
      const refused = await post(fixture('clients.create'), path);
      expect([refused.status, await refused.json()], path).toEqual([401, { ok: false, error: 'missing or wrong token' }]);
    }
    // The admin API is the same app: a known path with another method is a 405 that says what it takes.
    const wrongMethod = await fetch(`${worker.url}/api/dead`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'DELETE']);
    expect((await fetch(`${worker.url}/api/dead`)).status).toBe(401);
    const bad = await post('{"event": ', `/hooks/vcs/${TOKEN}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^body is not valid JSON: /);
    const big = await post(`{"pad":"${'x'.repeat(1024 * 1024)}"}`);
    expect(big.status).toBe(413);
  });

  it('acknowledges all 22 events after storing them and delivers exactly what the rules say', async () => {
    const postOne = async (id: string) => {
      const res = await post(payloadOf(id));
      expect(res.status, id).toBe(200);
      return [id, (await res.json()) as { id: string; events_id: string }] as const;
    };
    const acks = await Promise.all(ALL.filter((id) => !FINANCE.includes(id)).map(postOne));
    // A balance at zero, then recovered: in this order, as VCS sends them.
    for (const id of FINANCE) acks.push(await postOne(id));
    await waitFor('4 Slack messages', () => slack.posts.length >= 4, 30_000);
    await waitFor('the e-mail', () => smtp.received.length >= 1, 30_000);
    await waitFor('8 webhook calls', () => hook.requests.length >= 8, 30_000);

    expect(slack.posts).toHaveLength(4);
    expect(slack.posts.every((p) => p.channel === '#rate-desk' && p.token === 'xoxb-worker' && /^:rotating_light: \*(Rate import failed|Rate e-mail not imported)\*: /.test(p.text))).toBe(true);
    // Enriched from the CoreAPI stand-in, as on Node.
    const zero = smtp.received.find((m) => m.mail.subject === 'Balance reached zero: client #12 ACME Telecom')!;
    expect(zero.to).toEqual(['finance@carrier.example']);
    expect(zero.mail.text).toContain('The balance of client #12 (ACME Telecom) reached zero at 2022-01-24 17:44:47 EET.');
    expect(zero.mail.text).toContain('Balance:      -3.50 USD\nCredit limit: 500.00 USD');
    expect(api.calls.filter((c) => c.method === 'clients.get' && c.id === 12).every((c) => c.apiKey === 'vcs-key')).toBe(true);
    // The recovery waits 10 minutes for flap damping, as a reply to the zero e-mail (shipped rules).
    const [zeroAck, recoveredAck] = FINANCE.map((id) => acks.find(([x]) => x === id)![1]);
    const recovery = await settled(recoveredAck!.id, (e) => e.status === 'held');
    const root = await settled(zeroAck!.id, (e) => e.status === 'delivered');
    expect(recovery.deliveryDetails[0]).toMatchObject({ status: 'held', hold: 'flap', replyTo: root.deliveryDetails[0]!.id });
    const bodies = hook.requests.map((r) => JSON.parse(r.body) as { event: { events_id: string } });
    expect(bodies.map((b) => b.event.events_id).sort()).toEqual([...PROVISIONING].sort());
    expect(hook.requests.every((r) => r.headers.authorization === 'Bearer hook-secret')).toBe(true);

    for (const [id, ack] of acks) {
      const taken = RATE_FAILURES.includes(id) || PROVISIONING.includes(id) || FINANCE.includes(id);
      const status = id === 'clients.balance_notzero' ? 'held' : taken ? 'delivered' : 'unrouted';
      const event = await settled(ack.id, (e) => e.status === status);
      expect(event.deliveryDetails.every((d) => d.status === (status === 'held' ? 'held' : 'delivered')), id).toBe(true);
      expect(event.deliveries, id).toBe(taken ? 1 : 0);
    }
  }, 90_000);

  it('recognises the same payload posted twice and delivers it once', async () => {
    const before = slack.posts.length;
    const first = (await (await post(freshFailure(7001))).json()) as { id: string };
    const again = (await (await post(freshFailure(7001))).json()) as { id: string; duplicate?: boolean };
    expect(again.duplicate).toBe(true);
    await settled(first.id, (e) => e.status === 'delivered');
    expect((await admin<{ event: Explained }>(`/events/${again.id}`)).event.status).toBe('duplicate');
    expect(slack.posts.length - before).toBe(1);
  });

  it('waits as long as Slack\'s Retry-After says, then delivers', async () => {
    let limited = false;
    slackAnswer = () => {
      if (limited) return undefined;
      limited = true;
      return { status: 429, headers: { 'retry-after': '2' }, body: { ok: false, error: 'ratelimited' } };
    };
    const start = slackTimes.length;
    const ack = (await (await post(freshFailure(7002))).json()) as { id: string };
    const event = await settled(ack.id, (e) => e.status === 'delivered');
    slackAnswer = () => undefined;
    const [first, retried] = slackTimes.slice(start);
    expect(retried! - first!).toBeGreaterThanOrEqual(2_000);
    expect(event.deliveryDetails[0]!.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(event.deliveryDetails[0]!.attempts[0]!.detail).toContain('ratelimited');
    // Through the same attempt log as on Node: its line may be an earlier failure's, within the minute.
    expect(worker.output()).toMatch(/ WARN delivery failed; will retry event=\S+ rule=\S+ destination=rate_desk\b/);
  });

  it('puts a delivery Slack refuses for good in the dead letters, with the reason, and replays it', async () => {
    slackAnswer = () => ({ body: { ok: false, error: 'channel_not_found' } });
    const ack = (await (await post(freshFailure(7003))).json()) as { id: string };
    const dead = await settled(ack.id, (e) => e.status === 'dead');
    expect(dead.deliveryDetails[0]!.lastError).toBe('Slack error: channel_not_found');
    await waitFor('its log line', () => worker.output().includes(`ERROR delivery dead; replay it with \`switchboard replay\` (on Workers, POST /api/events/<id>/replay) event=${ack.id} `));
    expect((await admin<{ events: Array<{ id: string }> }>('/events?status=dead')).events.map((e) => e.id)).toContain(ack.id);

    slackAnswer = () => undefined;
    expect(await admin(`/events/${ack.id}/replay`, 'POST')).toEqual({ ok: true, requeued: 1 });
    await settled(ack.id, (e) => e.status === 'delivered');
  });

  it('routes and delivers, from the every-minute sweep, an event whose queue message was lost', async () => {
    // Stored two minutes ago and never queued: what a failed queue write leaves behind.
    const body = freshFailure(7004).replace(/'/g, "''");
    const before = slack.posts.length;
    await worker.d1(
      `INSERT INTO events (id, events_id, object_id, received_at, payload, fingerprint) VALUES ('lost-1', 'email_rates_manager.no_attachments', '7004', ${Date.now() - 120_000}, '${body}', 'x')`,
    );
    const res = await fetch(`${worker.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`);
    expect(res.status).toBe(200);
    await settled('lost-1', (e) => e.status === 'delivered');
    expect(slack.posts.length - before).toBe(1);
  });

  it('answers 503 and acknowledges nothing while D1 cannot store the event, as on Node, and takes the same payload once it can', async () => {
    const body = freshFailure(7005);
    await worker.d1('ALTER TABLE events RENAME TO events_away');
    let refused: Response;
    try {
      refused = await post(body);
    } finally {
      await worker.d1('ALTER TABLE events_away RENAME TO events');
    }
    expect([refused.status, await refused.json()]).toEqual([503, { ok: false, error: 'the event could not be stored; nothing was acknowledged' }]);
    await waitFor('the Worker to log why', () => worker.output().includes('could not accept an event; VCS will show this call as failed'));
    const accepted = await post(body);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).not.toHaveProperty('duplicate');
  });
});

describe('the Worker, telling people once (D1)', () => {
  let slack: Awaited<ReturnType<typeof startSlackApi>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let worker: WorkerProcess;
  const DT = '2022-01-24T15:44:47+00:00';

  beforeAll(async () => {
    [slack, smtp] = await Promise.all([startSlackApi(), startSmtp()]);
    worker = await startWorker(
      { SWITCHBOARD_ADMIN_TOKEN: ADMIN, SLACK_BOT_TOKEN: 'xoxb-worker', SLACK_API_URL: slack.url, SMTP_URL: smtp.url, MAIL_FROM: 'Switchboard <switchboard@billing.example>' },
      { rulesFile: 'test/fixtures/rules/holds.yaml' },
    );
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await Promise.all([slack?.close(), smtp?.close()]);
  });

  const post = async (body: unknown) => ((await (await fetch(`${worker.url}/hooks/vcs`, { method: 'POST', body: JSON.stringify(body) })).json()) as { id: string }).id;
  const status = async (id: string) =>
    ((await (await fetch(`${worker.url}/api/events/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { event: { status: string } }).event.status;
  const failure = (n: number) => ({
    event: { dt: DT, events_id: 'email_rates_manager.no_attachments', object_id: 6000 + n },
    data: { credentials: { login: 'burst@carrier.example', host: 'imap.example.net' }, message: { from: 'Vendor <v@vendor.example>', subject: `deck ${n}` } },
  });

  it('tells the rate desk of a burst at once, then sends one digest of the rest when the group\'s interval ends', async () => {
    const first = await post(failure(1));
    await waitFor('the first failure, at once', () => slack.posts.find((p) => p.channel === '#rate-desk'), 30_000);
    const ids = [first, ...(await Promise.all(Array.from({ length: 19 }, (_, i) => post(failure(i + 2)))))];
    const digest = await waitFor('the digest', () => slack.posts.filter((p) => p.channel === '#rate-desk')[1], 30_000);
    expect([...digest.text.matchAll(/Subject: (deck \d+)/g)].map((m) => m[1]).sort()).toEqual(Array.from({ length: 19 }, (_, i) => `deck ${i + 2}`).sort());
    for (const id of ids) await waitForAsync(`event ${id} delivered`, async () => (await status(id)) === 'delivered', 30_000);
    expect(slack.posts.filter((p) => p.channel === '#rate-desk')).toHaveLength(2);
  }, 60_000);

  it('sends a quiet group\'s first message alone, though the next comes as soon as the first is routed', async () => {
    // A mailbox and subjects of its own, and after the burst's test, which counts every post to the channel.
    const quiet = (n: number) => ({
      event: { dt: DT, events_id: 'email_rates_manager.no_attachments', object_id: 6100 + n },
      data: { credentials: { login: 'quiet@carrier.example', host: 'imap.example.net' }, message: { from: 'Vendor <v@vendor.example>', subject: `calm ${n}` } },
    });
    const first = await post(quiet(1));
    await waitForAsync(`event ${first} routed`, async () => (await status(first)) !== 'received', 30_000);
    await post(quiet(2));
    const told = await waitFor('the first message', () => slack.posts.find((p) => p.text.includes('calm ')), 30_000);
    expect(told.text).toContain('calm 1');
    expect(told.text).not.toContain('calm 2');
  }, 60_000);

  it('sends the recovery as a reply to the zero message, in e-mail and in Slack', async () => {
    await post({ event: { dt: DT, events_id: 'clients.balance_zero', object_id: 78 }, data: {} });
    await waitFor('the zero e-mail', () => smtp.received.find((m) => m.mail.text?.includes('Client: #78')), 30_000);
    await post({ event: { dt: DT, events_id: 'clients.balance_notzero', object_id: 78 }, data: {} });
    const [down, up] = await waitFor('both e-mails', () => {
      const mails = smtp.received.filter((m) => m.mail.text?.includes('Client: #78'));
      return mails.length === 2 ? mails : undefined;
    }, 30_000);
    expect(up!.mail.inReplyTo).toBe(down!.mail.messageId);
    const chat = await waitFor('both Slack messages', () => {
      const posts = slack.posts.filter((p) => p.channel === '#finance' && p.text.includes('#78'));
      return posts.length === 2 ? posts : undefined;
    }, 30_000);
    expect(chat[1]!.thread_ts).toBe(chat[0]!.ts);
  }, 60_000);
});

describe('templates on both runtimes', () => {
  let worker: WorkerProcess;
  let node: ServerProcess;
  const env = { SWITCHBOARD_ADMIN_TOKEN: ADMIN, FINANCE_EMAIL: 'finance@carrier.example', SLACK_RATE_DESK_CHANNEL: '#rate-desk', PROVISIONING_WEBHOOK_URL: 'http://127.0.0.1:9/provisioning' };

  beforeAll(async () => {
    [worker, node] = await Promise.all([startWorker(env), startServer(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.stop(), node?.stop()]);
  });

  it('renders every event\'s messages byte for byte the same on Node and in workerd', async () => {
    const render = async (url: string, body: string) =>
      (await fetch(`${url}/api/test`, { method: 'POST', body, headers: { authorization: `Bearer ${ADMIN}` } })).text();
    // Each event, and each with empty data so that every default message is rendered too.
    const payloads = ALL.flatMap((id) => {
      const p = JSON.parse(fixture(id));
      return [JSON.stringify(p), JSON.stringify({ ...p, event: { ...p.event, events_id: id }, data: {} })];
    });
    payloads.push(JSON.stringify({ event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.some_new_event', object_id: 1 }, data: { x: '<&>' } }));
    let compared = 0;
    for (const body of payloads) {
      const [fromNode, fromWorker] = await Promise.all([render(node.url, body), render(worker.url, body)]);
      expect(JSON.parse(fromNode), body).toMatchObject({ ok: true });
      expect(fromWorker, body).toBe(fromNode);
      compared += (JSON.parse(fromNode) as { deliveries: unknown[] }).deliveries.length;
    }
    expect(compared).toBeGreaterThanOrEqual(28);
  });
});

describe('the Worker with SWITCHBOARD_LOG_LEVEL=warn', () => {
  let worker: WorkerProcess;
  beforeAll(async () => {
    worker = await startWorker({ SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_ADMIN_TOKEN: ADMIN });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it('writes only warnings and errors, as on Node', async () => {
    const res = await fetch(`${worker.url}/hooks/vcs`, { method: 'POST', body: fixture('clients.balance_zero') });
    const { id } = (await res.json()) as { id: string };
    // Routed and delivered (logged, for want of credentials) in the queue consumer.
    await waitForAsync('the event delivered', async () => {
      const answer = await fetch(`${worker.url}/api/events/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await answer.json()) as { event: { status: string } }).event.status === 'delivered';
    }, 30_000);
    expect((await fetch(`${worker.url}/hooks/vcs`, { method: 'POST', body: '{bad' })).status).toBe(400);
    await waitFor('the warning about the malformed request', () => worker.output().includes('WARN rejected a malformed hook request'));
    expect(worker.output()).not.toContain(' INFO ');
  });
});

describe('the Worker with a credential it cannot use', () => {
  let worker: WorkerProcess;
  beforeAll(async () => {
    // Not an SMTP URL: the Node server refuses to start on it; the Worker answers 503 and says why.
    worker = await startWorker({ SMTP_URL: 'http://mailer:smtp-password-1@mail.example', SWITCHBOARD_ADMIN_TOKEN: ADMIN });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it('answers every request 503 with the reason, as for a bad setting, never showing the value', async () => {
    const error = 'switchboard cannot start: destination "finance" (email) cannot be set up: SMTP_URL must start with smtp:// or smtps://, not http://; check the environment variables it uses';
    for (const [path, init] of [['/hooks/vcs', { method: 'POST', body: fixture('clients.balance_zero') }], ['/healthz', {}]] as const) {
      const res = await fetch(`${worker.url}${path}`, init);
      expect([res.status, await res.json()]).toEqual([503, { ok: false, error }]);
    }
    await waitFor('the reason in the log', () => worker.output().includes(`switchboard: destination "finance" (email) cannot be set up`));
    expect(worker.output()).not.toContain('smtp-password-1');
  });
});
