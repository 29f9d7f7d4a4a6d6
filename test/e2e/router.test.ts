import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL, FINANCE, fixture, payloadOf, PROVISIONING, RATE_FAILURES } from '../support/shipped-events.ts';
import { startHttpServer } from '../support/http-server.ts';
import { freePort } from '../support/ports.ts';
import { runCli, startServer, tempDataDir, type ServerProcess } from '../support/server-process.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { startSmtp } from '../support/smtp.ts';
import { waitFor, waitForAsync } from '../support/wait.ts';

const TOKEN = 'e2e-secret-token';
const ADMIN = 'e2e-admin-token';

describe('the server with the shipped rules.yaml, all 22 events', () => {
  let slack: Awaited<ReturnType<typeof startSlackApi>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hook: Awaited<ReturnType<typeof startHttpServer>>;
  let server: ServerProcess;

  beforeAll(async () => {
    [slack, smtp, hook] = await Promise.all([startSlackApi(), startSmtp(), startHttpServer(() => ({ status: 204 }))]);
    server = await startServer({
      SWITCHBOARD_TOKEN: TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-e2e',
      SLACK_API_URL: slack.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Switchboard <switchboard@billing.example>',
      FINANCE_EMAIL: 'finance@carrier.example',
      PROVISIONING_WEBHOOK_URL: `${hook.url}/provisioning`,
      PROVISIONING_WEBHOOK_TOKEN: 'hook-secret',
      SWITCHBOARD_ADMIN_TOKEN: ADMIN,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([slack?.close(), smtp?.close(), hook?.close()]);
  });

  /** The event's status once routed, from the admin API: `unrouted` when no rule took it. */
  const routedStatus = (id: string) =>
    waitForAsync(`event ${id} routed`, async () => {
      const res = await fetch(`${server.url}/api/events/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const { event } = (await res.json()) as { event: { status: string; deliveries: number; matched: string[] } };
      return event.status === 'received' ? undefined : event;
    });

  const post = (body: string, path = `/hooks/vcs?token=${TOKEN}`, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers });

  it('has a fixture for each of the 22 event ids', () => {
    expect(ALL).toHaveLength(22);
  });

  it('acknowledges every event and delivers exactly what the rules say', async () => {
    const postOne = async (id: string) => {
      const res = await post(payloadOf(id));
      expect(res.status, id).toBe(200);
      return [id, (await res.json()) as { ok: boolean; id: string; events_id: string }] as const;
    };
    const acks = await Promise.all(ALL.filter((id) => !FINANCE.includes(id)).map(postOne));
    // A balance at zero, then recovered: in this order, as VCS sends them.
    for (const id of FINANCE) acks.push(await postOne(id));
    for (const [id, ack] of acks) {
      expect(ack, id).toEqual({ ok: true, id: expect.stringMatching(/^[0-9a-z]{9}-[0-9a-f]{14}$/), events_id: id.replace('custom_fields_update', 'custom_fields.update') });
    }

    await waitFor('4 Slack messages', () => slack.posts.length >= 4);
    await waitFor('the e-mail', () => smtp.received.length >= 1);
    await waitFor('8 webhook calls', () => hook.requests.length >= 8);

    // The rate desk: one message per failure, in its channel, naming vendor, mailbox and error.
    expect(slack.posts).toHaveLength(4);
    for (const p of slack.posts) {
      expect(p.channel).toBe('#rate-desk');
      expect(p.token).toBe('xoxb-e2e');
    }
    // An e-mail that matched no rate table or had no attachment is no failed import.
    const headline = (id: string) => slack.posts.find((p) => p.text.includes(`· ${id} · `))!.text.split('\n')[0];
    expect(headline('email_rates_manager.file_processing_error')).toMatch(/^:rotating_light: \*Rate import failed\*: Can't process file/);
    expect(headline('importd.process_failed')).toBe(':rotating_light: *Rate import failed*: the file has errors');
    expect(headline('email_rates_manager.no_attachments')).toBe(':rotating_light: *Rate e-mail not imported*: it had no attachment');
    expect(headline('email_rates_manager.rate_tables_no_match')).toBe(':rotating_light: *Rate e-mail not imported*: no rate table matches its sender and subject');
    const byError = slack.posts.find((p) => p.text.includes('File is not a zip file'))!;
    expect(byError.text).toContain('• *Vendor:* Vendor Rates &lt;rates@vendor.example&gt;');
    expect(byError.text).toContain('• *Mailbox:* rates@carrier.example on imap.example.net');
    expect(byError.text).toContain('• *Rate tables:* Vendor A - Premium, Vendor A - Standard');
    expect(byError.text).toContain('_2022-01-24 17:44 EET · email_rates_manager.file_processing_error · e-mail #77798_');
    const importFailed = slack.posts.find((p) => p.text.includes('importd.process_failed'))!;
    expect(importFailed.text).toContain('• Line 14: unknown code format "44-20"');

    // Finance: balance reached zero (rule's own template, text only), with a Message-ID of ours
    // that the recovery will answer.
    expect(smtp.received).toHaveLength(1);
    const zero = smtp.received[0]!;
    expect(zero.to).toEqual(['finance@carrier.example']);
    expect(zero.from).toBe('switchboard@billing.example');
    expect(zero.mail.subject).toBe('Balance reached zero: client #12');
    expect(zero.mail.text).toContain('The balance of client #12 reached zero at 2022-01-24 17:44:47 EET.');
    expect(zero.mail.html).toBe(false);
    const [zeroAck, recoveredAck] = FINANCE.map((id) => acks.find(([x]) => x === id)![1]);
    expect(zero.mail.messageId).toMatch(new RegExp(`^<${zeroAck!.id}\\.\\d+@billing\\.example>$`));
    // The recovery is held 10 minutes (flap damping: were the balance back at zero by then, neither
    // would be sent), as a reply to the zero e-mail. The shipped rules' incident, visible in explain.
    const recovery = (await routedStatus(recoveredAck!.id)) as unknown as { status: string; deliveryDetails: Array<Record<string, unknown>> };
    const zeroDelivery = ((await routedStatus(zeroAck!.id)) as unknown as { deliveryDetails: Array<{ id: number; ref: string }> }).deliveryDetails[0]!;
    expect(recovery.status).toBe('held');
    expect(recovery.deliveryDetails[0]).toMatchObject({ status: 'held', hold: 'flap', replyTo: zeroDelivery.id, nextAt: expect.any(Number) });
    expect(zeroDelivery.ref).toBe(zero.mail.messageId);

    // Provisioning: one JSON POST per account and subscription event, with its header.
    expect(hook.requests).toHaveLength(8);
    const bodies = hook.requests.map((r) => JSON.parse(r.body) as { event: { events_id: string }; rule: string; text: string });
    expect(bodies.map((b) => b.event.events_id).sort()).toEqual([...PROVISIONING].sort());
    expect(hook.requests.every((r) => r.headers.authorization === 'Bearer hook-secret' && r.url === '/provisioning')).toBe(true);
    expect(bodies.find((b) => b.event.events_id === 'clients.subscriptions.close')!.text).toBe('Subscription closed (#5501, 2022-01-24 17:44 EET)');

    // Every event is recorded; those no rule takes delivered nothing.
    for (const [id, ack] of acks) {
      const taken = RATE_FAILURES.includes(id) || PROVISIONING.includes(id) || FINANCE.includes(id);
      const status = id === 'clients.balance_notzero' ? 'held' : taken ? 'delivered' : 'unrouted';
      expect(await routedStatus(ack.id), id).toMatchObject({ status, deliveries: taken ? 1 : 0 });
    }
  });

  it('groups failures from one mailbox and vendor: the first at once, the next ones wait for one digest', async () => {
    const failure = (n: number) => {
      const p = JSON.parse(fixture('email_rates_manager.no_attachments'));
      p.event.object_id = 8800 + n;
      p.data.credentials.login = 'burst@carrier.example';
      p.data.message.subject = `Price list ${n}`;
      return JSON.stringify(p);
    };
    const before = slack.posts.length;
    await post(failure(1));
    await waitFor('the first failure, at once', () => slack.posts.slice(before).find((p) => p.text.includes('Price list 1')));
    const later = await Promise.all([2, 3, 4].map(async (n) => ((await (await post(failure(n))).json()) as { id: string }).id));
    for (const id of later) await routedStatus(id);
    for (const id of later) {
      const event = (await routedStatus(id)) as unknown as { status: string; deliveryDetails: Array<{ hold: string; group: { label: string; size: number; flushAt: number } }> };
      expect(event.status).toBe('held');
      expect(event.deliveryDetails[0]!.hold).toBe('group');
      expect(event.deliveryDetails[0]!.group).toMatchObject({ label: 'burst@carrier.example, Vendor Rates <rates@vendor.example>', size: 3 });
      expect(event.deliveryDetails[0]!.group.flushAt).toBeGreaterThan(Date.now() + 4 * 60_000);
    }
    expect(slack.posts.length - before).toBe(1);
  });

  it('delivers a conditional rule only when its condition holds', async () => {
    const before = slack.posts.length;
    const payload = JSON.parse(fixture('importd.process_success'));
    payload.event.object_id = 912; // not the fixture posted above, which would be a duplicate
    const quiet = (await (await post(JSON.stringify(payload))).json()) as { id: string };
    payload.data.rates.increased = 120;
    const loud = (await (await post(JSON.stringify(payload))).json()) as { id: string };
    expect(await routedStatus(quiet.id)).toMatchObject({ status: 'unrouted', matched: [] });
    expect((await routedStatus(loud.id)).matched).toEqual(['big-rate-increase']);
    await waitFor('the big-rate-increase message', () => slack.posts.length > before);
    expect(slack.posts.slice(before).map((p) => p.text)).toEqual([
      ':chart_with_upwards_trend: Vendor A - Premium: 120 rates increased (vendor_a_2022-01-24.csv)',
    ]);
  });

  it('keeps Slack control sequences in payload data as text', async () => {
    const before = slack.posts.length;
    const payload = JSON.parse(fixture('email_rates_manager.rate_tables_no_match'));
    payload.data.message.from = '<!channel> & <https://evil.example|click>';
    payload.data.credentials.login = 'escaping@carrier.example'; // a mailbox of its own: told at once, not grouped
    expect((await post(JSON.stringify(payload))).status).toBe(200);
    const msg = await waitFor('the Slack message', () => slack.posts.slice(before).find((p) => p.text.includes('no rate table matches')));
    expect(msg.text).toContain('• *Vendor:* &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(msg.text).not.toMatch(/<!channel>|<https:/);
  });

  it('takes the token as a query parameter, a path segment or a Bearer header, and nothing else', async () => {
    const body = fixture('clients.create');
    expect((await post(body, `/hooks/vcs/${TOKEN}`)).status).toBe(200);
    expect((await post(body, `/hooks/vcs/?token=${TOKEN}`)).status).toBe(200);
    expect((await post(body, `/hooks/vcs/${TOKEN}/`)).status).toBe(200);
    expect((await post(body, '/hooks/vcs', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    for (const [path, headers] of [
      ['/hooks/vcs', {}],
      ['/hooks/vcs?token=wrong', {}],
      ['/hooks/vcs/wrong', {}],
      // Not valid percent-encoding: a wrong token, not a server error.
      ['/hooks/vcs/%zz', {}],
      ['/hooks/vcs', { authorization: 'Bearer wrong' }],
      // The right one beside a wrong one: whoever sent it does not know the token for sure.
      [`/hooks/vcs/wrong?token=${TOKEN}`, {}],
      [`/hooks/vcs?token=${TOKEN}`, { authorization: 'Bearer wrong' }],
      [`/hooks/vcs?token=${TOKEN}&token=wrong`, {}],
      // An empty `token` parameter is presented too, and it is wrong.
      [`/hooks/vcs?token=${TOKEN}&token=`, {}],
      [`/hooks/vcs/${TOKEN}?token=`, {}],
      ['/hooks/vcs?token=', { authorization: `Bearer ${TOKEN}` }],
      [`/hooks/vcs?token&token=${TOKEN}`, {}],
    ] as const) {
      const res = await post(body, path, headers);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ ok: false, error: 'missing or wrong token' });
    }
    expect(server.output()).not.toContain(TOKEN);
    expect(server.output()).not.toContain('xoxb-e2e');
  });

  it('answers bad input with a 4xx that says what is wrong', async () => {
    const cases: Array<[string, number, string]> = [
      ['{"event":', 400, 'body is not valid JSON'],
      ['[]', 400, 'body must be a JSON object, got an array'],
      ['{"data":{}}', 400, 'missing field "event"'],
      ['{"event":{"dt":"2022-01-24T15:44:47+00:00","object_id":1},"data":{}}', 400, 'missing field "event.events_id"'],
      ['{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":" ","object_id":1},"data":{}}', 400, '"event.events_id" must be a non-empty string, got " "'],
      ['{"event":{"dt":"yesterday","events_id":"clients.update","object_id":1},"data":{}}', 400, '"event.dt" must be an ISO 8601 date-time string, got "yesterday"'],
      ['{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":true},"data":{}}', 400, '"event.object_id" must be a number or a string, got a boolean'],
      ['{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":1},"data":[]}', 400, '"data" must be an object, got an array'],
      ['{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":1e400},"data":{}}', 400, '"event.object_id" is a number too large to hold; send it as a string'],
      // Under the size limit, and deep enough to overflow the stack of anything that walks it recursively.
      [`{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":1},"data":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, 400, '"data" is nested more than 64 levels deep'],
      // Fields VCS does not send are stored too, and explain and the admin API show them whole.
      [`{"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":1,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}},"data":{}}`, 400, '"event" is nested more than 64 levels deep'],
      [`{"x":${'['.repeat(100_000)}${']'.repeat(100_000)},"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":1},"data":{}}`, 400, '"x" is nested more than 64 levels deep'],
    ];
    for (const [body, status, error] of cases) {
      const res = await post(body);
      const label = body.slice(0, 120);
      expect(res.status, label).toBe(status);
      expect(((await res.json()) as { error: string }).error, label).toContain(error);
    }
    const big = await post(JSON.stringify({ event: {}, data: { blob: 'x'.repeat(1024 * 1024) } }));
    expect(big.status).toBe(413);
    const get = await fetch(`${server.url}/hooks/vcs?token=${TOKEN}`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('escapes control characters from a request in its log lines and in the operators\' commands', async () => {
    // An escape sequence that would clear an operator's terminal, NUL, and the 8-bit form of ESC [.
    const res = await post(JSON.stringify({ event: { dt: '2030-01-01T00:00:00+00:00', events_id: 'clients.x\u001b[2J\u0000', object_id: '7\u009b' }, data: {} }));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const line = await waitFor('the line of the event', () => server.output().split('\n').find((l) => l.includes(`event received id=${id}`)));
    expect(line).toContain('events_id="clients.x\\u001b[2J\\u0000" object_id="7\\u009b"');
    expect(server.output()).not.toMatch(/[\0\x1b\x9b]/);
    // The operators' commands show them escaped too, an event on one line.
    const events = await runCli(['events', '--limit', '1'], { DATA_DIR: server.dataDir });
    expect(events.stdout).toMatch(new RegExp(`^${id} .* clients\\.x\\\\u001b\\[2J\\\\u0000 \\(object 7\\\\u009b\\), 0 deliveries\\n$`));
    const explained = await runCli(['explain', id], { DATA_DIR: server.dataDir });
    expect(explained.stdout).toMatch(new RegExp(`^event ${id}: clients\\.x\\\\u001b\\[2J\\\\u0000 \\(object 7\\\\u009b\\), received `));
    expect(events.stdout + explained.stdout).not.toMatch(/[\0\x1b\x9b]/);
  });

  it('accepts unknown event ids, string object ids and any Content-Type', async () => {
    const unknown = await post(
      JSON.stringify({ event: { dt: '2030-01-01T00:00:00+00:00', events_id: 'clients.teleport', object_id: '12' }, data: {} }),
      `/hooks/vcs?token=${TOKEN}`,
      { 'content-type': 'text/plain' },
    );
    expect(unknown.status).toBe(200);
    const ack = (await unknown.json()) as { id: string };
    expect(ack).toMatchObject({ ok: true, events_id: 'clients.teleport' });
    expect(await routedStatus(ack.id)).toMatchObject({ status: 'unrouted' });
  });
});

describe('server start-up', () => {
  it('runs on a fresh clone with no credentials, logging what it cannot send', async () => {
    const server = await startServer({});
    try {
      const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: fixture('clients.balance_zero') });
      expect(res.status).toBe(200);
      await waitFor('the logged message', () => server.output().includes('message not sent (destination has no credentials)'));
      expect(server.output()).toContain('destination "finance" (email) has no credentials: SMTP_URL is not set');
      expect(server.output()).toContain('destination "rate_desk" (slack) has no credentials: SLACK_BOT_TOKEN is not set');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('warns at start-up when e-mail would go from switchboard@localhost, and not when MAIL_FROM is set', async () => {
    const smtp = await startSmtp();
    try {
      for (const env of [{}, { MAIL_FROM: 'Switchboard <switchboard@billing.example>' }] as Array<Record<string, string>>) {
        const server = await startServer({ SMTP_URL: smtp.url, ...env });
        expect(await server.stop()).toBe(0);
        const lines = server.output().split('\n').filter((l) => l.includes('destination "finance" (email) ready'));
        expect(lines).toEqual([
          'MAIL_FROM' in env
            ? expect.stringMatching(/INFO destination "finance" \(email\) ready$/)
            : expect.stringMatching(/WARN destination "finance" \(email\) ready, but it sends as Switchboard <switchboard@localhost>, since neither its from nor MAIL_FROM is set; most SMTP servers refuse or flag a sender at localhost$/),
        ]);
      }
    } finally {
      await smtp.close();
    }
  });

  it('refuses to start on an invalid rules file, printing every error', async () => {
    const server = startServer({ RULES_FILE: 'test/fixtures/rules/two-mistakes.yaml' });
    await expect(server).rejects.toThrow(/server exited with 1/);
    await server.catch((e: Error) => {
      expect(e.message).toContain('test/fixtures/rules/two-mistakes.yaml:5:13: rules[0].events: unknown event id "clients.alance_notzero" (did you mean "clients.balance_notzero"?)');
      expect(e.message).toContain('test/fixtures/rules/two-mistakes.yaml:6:9: rules[0].to: undefined destination "financ" (did you mean "finance"?)');
    });
  });
});

describe('server options', () => {
  it('exits 1 with the reason when its port is taken', async () => {
    const taken = await startHttpServer(() => ({ status: 204 }));
    try {
      const failure = await startServer({ PORT: new URL(taken.url).port }).catch((e: Error) => e);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/server exited with 1/);
      expect((failure as Error).message).toContain('switchboard: cannot receive events: listen EADDRINUSE');
    } finally {
      await taken.close();
    }
  });

  it('refuses to start when a destination cannot be set up, naming it and never the value', async () => {
    const failure = await startServer({ SMTP_URL: 'smtp://finance:s3cret-pass@[not-a-host' }).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('switchboard: destination "finance" (email) cannot be set up: SMTP_URL is not a valid URL (expected smtp://… or smtps://…); check the environment variables it uses');
    expect((failure as Error).message).not.toContain('s3cret-pass');
  });

  it('refuses to start on a port out of range and an allow-list it cannot read, naming every mistake', async () => {
    const r = await runCli(['serve'], { DATA_DIR: tempDataDir(), PORT: '70000', SWITCHBOARD_ALLOW_CIDRS: '10.0.0.0/8, 10.0.0.300' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('switchboard: PORT must be a whole number ≥ 0 and ≤ 65535, got "70000"\nswitchboard: SWITCHBOARD_ALLOW_CIDRS: "10.0.0.300" is not an IP address or CIDR network\n');
    expect(r.stdout).toBe('');
  });

  it.each([
    ['', 'NORMAL'],
    ['1', 'FULL'],
  ])('says at start which durability is in force (SWITCHBOARD_FSYNC=%s), as SQLite reports it', async (fsync, synchronous) => {
    const server = await startServer({ SWITCHBOARD_FSYNC: fsync });
    try {
      expect(server.output()).toContain(` INFO outbox ready file=${server.dataDir}/switchboard.db synchronous=${synchronous}\n`);
    } finally {
      await server.stop();
    }
  });

  it('gives up on a delivery still failing at SWITCHBOARD_MAX_AGE_HOURS, saying so', async () => {
    const down = await startHttpServer(() => ({ status: 503, body: 'maintenance' }));
    // 1.8 s: the first try, a retry about a second later, and the last at that age.
    const server = await startServer({ PROVISIONING_WEBHOOK_URL: `${down.url}/provisioning`, SWITCHBOARD_MAX_AGE_HOURS: '0.0005' });
    try {
      const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: fixture(PROVISIONING[0]!) });
      const { id } = (await res.json()) as { id: string };
      const dead = await waitForAsync('the delivery dead', async () => {
        const r = await runCli(['explain', id], { DATA_DIR: server.dataDir });
        return r.stdout.includes(': dead\n') ? r.stdout : undefined;
      });
      expect(dead).toMatch(/ gave up after \d+ attempts over \d+ s: HTTP 503: maintenance\n/);
      expect(down.requests.length).toBeGreaterThanOrEqual(2);
    } finally {
      await server.stop();
      await down.close();
    }
  });

  it('refuses clients outside SWITCHBOARD_ALLOW_CIDRS and admits those inside', async () => {
    const outside = await startServer({ SWITCHBOARD_ALLOW_CIDRS: '10.0.0.0/8, 2001:db8::/32' });
    const inside = await startServer({ SWITCHBOARD_ALLOW_CIDRS: '10.0.0.0/8,127.0.0.0/8' });
    try {
      const body = fixture('clients.update');
      const refused = await fetch(`${outside.url}/hooks/vcs`, { method: 'POST', body });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ ok: false, error: 'this client address is not allowed' });
      expect((await fetch(`${inside.url}/hooks/vcs`, { method: 'POST', body })).status).toBe(200);
    } finally {
      await Promise.all([outside.stop(), inside.stop()]);
    }
  });

  it('echoes the payload for pre-3.17 "before" handlers when SWITCHBOARD_ECHO=1', async () => {
    const server = await startServer({ SWITCHBOARD_ECHO: '1' });
    try {
      const body = fixture('clients.update');
      const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
    } finally {
      await server.stop();
    }
  });

  it('writes only warnings and errors, from both threads, with SWITCHBOARD_LOG_LEVEL=warn', async () => {
    const server = await startServer({ SWITCHBOARD_LOG_LEVEL: 'warn', PORT: String(await freePort()), SWITCHBOARD_ADMIN_TOKEN: ADMIN });
    try {
      const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: fixture('clients.balance_zero') });
      const { id } = (await res.json()) as { id: string };
      expect((await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: '{bad' })).status).toBe(400);
      // Delivered (logged, for want of credentials) by the main thread, received by the intake thread,
      // which writes its lines in order: the warning about the second request follows the first's.
      await waitForAsync('the event delivered', async () => {
        const answer = await fetch(`${server.url}/api/events/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
        return ((await answer.json()) as { event: { status: string } }).event.status === 'delivered';
      });
      await waitFor('the warning about the malformed request', () => server.output().includes('WARN rejected a malformed hook request'));
      expect(server.output()).toContain('WARN destination "finance" (email) has no credentials');
      expect(server.output()).not.toContain(' INFO ');
    } finally {
      await server.stop();
    }
  });

  it('applies SWITCHBOARD_MAX_BODY_BYTES', async () => {
    const server = await startServer({ SWITCHBOARD_MAX_BODY_BYTES: '200' });
    try {
      const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: fixture('clients.create') });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ ok: false, error: 'body larger than 200 bytes' });
    } finally {
      await server.stop();
    }
  });
});
