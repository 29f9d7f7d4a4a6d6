import { afterEach, describe, expect, it } from 'vitest';
import type { Sender } from '../../src/channels/channel.ts';
import { channelKinds } from '../../src/channels/index.ts';
import { startHttpServer } from '../support/http-server.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { startSmtp } from '../support/smtp.ts';

const kinds = channelKinds();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function connect<M>(type: string, settings: Record<string, unknown>, env: Record<string, string>): Sender<M> {
  const kind = kinds.get(type)!;
  const parsed = kind.settings.parse(settings);
  const sender = kind.connect(parsed, env);
  if ('missing' in sender) throw new Error(sender.missing);
  return sender as Sender<M>;
}

describe('slack sender (chat.postMessage)', () => {
  const message = { text: 'hello' };

  async function slackWith(answer: Parameters<typeof startSlackApi>[0]) {
    const api = await startSlackApi(answer);
    closers.push(api.close);
    return { api, sender: connect<typeof message>('slack', { channel: '#rates' }, { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_API_URL: api.url }) };
  }

  it('sends and reports the message ts', async () => {
    const { api, sender } = await slackWith(() => undefined);
    const result = await sender.send(message);
    expect(api.posts).toEqual([{ channel: '#rates', text: 'hello', token: 'xoxb-1', ts: expect.any(String) }]);
    expect(result).toEqual({ ok: true, info: `ts=${api.posts[0]!.ts}`, ref: api.posts[0]!.ts });
  });

  it('replies in the thread of the message it answers', async () => {
    const { api, sender } = await slackWith(() => undefined);
    const first = await sender.send(message, { id: 'e1.1' });
    await sender.send({ text: 'recovered' }, { id: 'e2.2', replyTo: (first as { ref: string }).ref });
    expect(api.posts.map((p) => p.thread_ts)).toEqual([undefined, api.posts[0]!.ts]);
  });

  it.each(['channel_not_found', 'not_in_channel', 'invalid_auth', 'is_archived', 'msg_too_long'])('gives up on %s', async (error) => {
    const { sender } = await slackWith(() => ({ body: { ok: false, error } }));
    expect(await sender.send(message)).toEqual({ ok: false, retry: false, reason: `Slack error: ${error}` });
  });

  it('retries an error code it does not know: Slack adds codes, and most are transient', async () => {
    const { sender } = await slackWith(() => ({ body: { ok: false, error: 'fatal_error' } }));
    expect(await sender.send(message)).toEqual({ ok: false, retry: true, reason: 'Slack error: fatal_error' });
  });

  it('retries a 429 after exactly Retry-After, without waiting inside the call', async () => {
    const { api, sender } = await slackWith(() => ({ status: 429, headers: { 'retry-after': '7' }, body: { ok: false, error: 'ratelimited' } }));
    expect(await sender.send(message)).toEqual({ ok: false, retry: true, reason: 'Slack error: ratelimited', retryAfterMs: 7000 });
    expect(api.attempts).toHaveLength(1);
  });

  it('retries a 5xx and a refused connection', async () => {
    const { sender } = await slackWith(() => ({ status: 503, body: { ok: false, error: 'service_unavailable' } }));
    expect(await sender.send(message)).toMatchObject({ ok: false, retry: true });
    const down = connect<typeof message>('slack', { channel: '#rates' }, { SLACK_BOT_TOKEN: 'x', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
    expect(await down.send(message)).toMatchObject({ ok: false, retry: true, reason: expect.stringContaining('network error') });
  });

  it('posts to incoming-webhook URLs', async () => {
    const hook = await startHttpServer((req) => (req.url === '/gone' ? { status: 404, body: 'no_service' } : { body: 'ok' }));
    closers.push(hook.close);
    const ok = connect<typeof message>('slack', { webhook_url: `${hook.url}/T1/B1/x` }, {});
    expect(await ok.send(message)).toMatchObject({ ok: true });
    expect(JSON.parse(hook.requests[0]!.body)).toEqual({ text: 'hello' });
    const gone = connect<typeof message>('slack', { webhook_url: `${hook.url}/gone` }, {});
    expect(await gone.send(message)).toEqual({ ok: false, retry: false, reason: 'HTTP 404: no_service' });
  });

  it('reports a missing bot token instead of connecting', () => {
    const kind = kinds.get('slack')!;
    expect(kind.connect(kind.settings.parse({ channel: '#x' }), {})).toEqual({ missing: 'SLACK_BOT_TOKEN is not set' });
  });
});

describe('email sender (SMTP)', () => {
  const message = { subject: 'Balance reached zero', text: 'plain', html: '<p>html</p>' };

  it('sends text and HTML parts to to, cc and bcc', async () => {
    const smtp = await startSmtp();
    closers.push(smtp.close);
    const sender = connect<typeof message>('email', { to: ['a@x.example'], cc: 'c@x.example', bcc: 'b@x.example' }, { SMTP_URL: smtp.url, MAIL_FROM: 'sb@x.example' });
    closers.push(async () => sender.close?.());
    expect(await sender.send(message)).toMatchObject({ ok: true });
    const [got] = smtp.received;
    expect(got!.to.sort()).toEqual(['a@x.example', 'b@x.example', 'c@x.example']);
    expect(got!.mail.subject).toBe('Balance reached zero');
    expect(got!.mail.text?.trim()).toBe('plain');
    expect(got!.mail.html).toBe('<p>html</p>');
    expect(got!.mail.headers.get('bcc')).toBeUndefined();
  });

  it('sets a Message-ID of its own, the same on every attempt, and answers with In-Reply-To and References', async () => {
    const smtp = await startSmtp();
    closers.push(smtp.close);
    const sender = connect<typeof message>('email', { to: 'a@x.example' }, { SMTP_URL: smtp.url, MAIL_FROM: 'Switchboard <sb@billing.example>' });
    closers.push(async () => sender.close?.());
    const first = await sender.send(message, { id: 'ev1.7' });
    expect(first).toMatchObject({ ok: true, ref: '<ev1.7@billing.example>' });
    await sender.send({ ...message, subject: 'Recovered' }, { id: 'ev2.9', replyTo: '<ev1.7@billing.example>' });
    const [down, up] = smtp.received;
    expect(down!.mail.messageId).toBe('<ev1.7@billing.example>');
    expect(up!.mail.messageId).toBe('<ev2.9@billing.example>');
    expect(up!.mail.inReplyTo).toBe('<ev1.7@billing.example>');
    expect(up!.mail.references).toBe('<ev1.7@billing.example>');
  });

  it('sends as switchboard@localhost when neither from nor MAIL_FROM is set, and says that an operator should set one', async () => {
    const smtp = await startSmtp();
    closers.push(smtp.close);
    const unset = connect<typeof message>('email', { to: 'a@x.example' }, { SMTP_URL: smtp.url });
    closers.push(async () => unset.close?.());
    expect(unset.caution).toMatch(/sends as Switchboard <switchboard@localhost>, since neither its from nor MAIL_FROM is set/);
    expect(await unset.send(message, { id: 'ev1.1' })).toMatchObject({ ok: true, ref: '<ev1.1@localhost>' });
    expect(smtp.received[0]!.from).toBe('switchboard@localhost');
    for (const [settings, env] of [[{ from: 'sb@x.example' }, {}], [{}, { MAIL_FROM: 'sb@x.example' }]] as const) {
      const set = connect<typeof message>('email', { to: 'a@x.example', ...settings }, { SMTP_URL: smtp.url, ...env });
      closers.push(async () => set.close?.());
      expect(set.caution).toBeUndefined();
    }
  });

  it('retries a 4xx reply and gives up on a 5xx', async () => {
    const smtp = await startSmtp((n) => (n === 1 ? { code: 451, message: 'try later' } : { code: 550, message: 'no such user' }));
    closers.push(smtp.close);
    const sender = connect<typeof message>('email', { to: 'a@x.example' }, { SMTP_URL: smtp.url });
    closers.push(async () => sender.close?.());
    expect(await sender.send(message)).toMatchObject({ ok: false, retry: true, reason: expect.stringContaining('451') });
    expect(await sender.send(message)).toMatchObject({ ok: false, retry: false, reason: expect.stringContaining('550') });
  });

  it('says who did not get a message that reached only some of its recipients', async () => {
    const refusals: Record<string, { code: number; message: string }> = {
      'gone@x.example': { code: 550, message: '5.1.1 no such user' },
      'grey@x.example': { code: 450, message: '4.7.1 greylisted' },
    };
    const smtp = await startSmtp(undefined, 0, (address) => refusals[address]);
    closers.push(smtp.close);
    const sender = connect<typeof message>('email', { to: ['a@x.example', 'gone@x.example', 'grey@x.example'] }, { SMTP_URL: smtp.url });
    closers.push(async () => sender.close?.());
    const result = await sender.send(message);
    expect(result).toMatchObject({ ok: true, missed: expect.stringMatching(/^gone@x\.example \(550 5\.1\.1 no such user\), grey@x\.example \(450 4\.7\.1 greylisted\)$/) });
    expect(smtp.received.map((r) => r.to)).toEqual([['a@x.example']]);
  });

  it.each([
    [550, false],
    [450, true],
  ])('classifies a message refused for every recipient (%i) as the reply code says', async (code, retry) => {
    const smtp = await startSmtp(undefined, 0, () => ({ code, message: 'refused' }));
    closers.push(smtp.close);
    const sender = connect<typeof message>('email', { to: ['a@x.example', 'b@x.example'] }, { SMTP_URL: smtp.url });
    closers.push(async () => sender.close?.());
    expect(await sender.send(message)).toMatchObject({ ok: false, retry, reason: expect.stringContaining(String(code)) });
    expect(smtp.received).toEqual([]);
  });

  it('retries when the SMTP server is down, and never shows the password', async () => {
    const sender = connect<typeof message>('email', { to: 'a@x.example' }, { SMTP_URL: 'smtp://user:s3cret-pass@127.0.0.1:9' });
    const result = await sender.send(message);
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(JSON.stringify(result)).not.toContain('s3cret-pass');
  });
});

describe('webhook sender', () => {
  it('POSTs JSON with its headers and classifies the answer', async () => {
    const sink = await startHttpServer((req) => ({ status: req.url === '/bad' ? 400 : req.url === '/busy' ? 503 : 200, body: 'x' }));
    closers.push(sink.close);
    const ok = connect<{ body: unknown }>('webhook', { url: `${sink.url}/ok`, headers: { 'x-key': 'k' } }, {});
    expect(await ok.send({ body: { a: 1 } })).toMatchObject({ ok: true });
    expect(sink.requests[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(sink.requests[0]!.headers['x-key']).toBe('k');
    expect(sink.requests[0]!.headers['content-type']).toBe('application/json');
    const bad = connect<{ body: unknown }>('webhook', { url: `${sink.url}/bad` }, {});
    expect(await bad.send({ body: {} })).toEqual({ ok: false, retry: false, reason: 'HTTP 400: x' });
    const busy = connect<{ body: unknown }>('webhook', { url: `${sink.url}/busy` }, {});
    expect(await busy.send({ body: {} })).toMatchObject({ ok: false, retry: true });
  });

  // Two whole seconds ahead when answered, as an HTTP date has no milliseconds: more than 1 s, at most 2 s.
  const inTwoSeconds = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 2_000).toUTCString();
  it.each([
    [408, () => ({}), { ok: false, retry: true, reason: 'HTTP 408: x' }],
    [429, () => ({ 'retry-after': '30' }), { ok: false, retry: true, reason: 'HTTP 429: x', retryAfterMs: 30_000 }],
    [503, () => ({ 'retry-after': inTwoSeconds() }), { ok: false, retry: true, reason: 'HTTP 503: x', retryAfterMs: expect.toSatisfy((ms: number) => ms > 0 && ms <= 2_000) }],
    [302, () => ({ location: '/elsewhere' }), { ok: false, retry: false, reason: 'HTTP 302: x' }],
    [404, () => ({}), { ok: false, retry: false, reason: 'HTTP 404: x' }],
  ])('classifies HTTP %i', async (status, headers, outcome) => {
    const sink = await startHttpServer((req) => (req.url === '/elsewhere' ? { status: 200 } : { status, headers: headers(), body: 'x' }));
    closers.push(sink.close);
    const hook = connect<{ body: unknown }>('webhook', { url: `${sink.url}/hook` }, {});
    expect(await hook.send({ body: {} })).toEqual(outcome);
    // A redirect is not followed: the URL should be the final one.
    expect(sink.requests.map((r) => r.url)).toEqual(['/hook']);
  });
});
