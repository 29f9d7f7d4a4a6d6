import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../src/channels/email/index.ts';
import type { SlackMessage } from '../../src/channels/slack/index.ts';
import type { WebhookMessage } from '../../src/channels/webhook/index.ts';
import { EVENTS } from '../../src/events/catalog.ts';
import { escapeHtml, escapeJson, escapeNone, escapeSlack, escapeSlackJson } from '../../src/template/escape.ts';
import { message, renderMessage } from './support.ts';

const sample = EVENTS['clients.create']!.sample as { event: Record<string, unknown>; data: Record<string, unknown> };
/** The clients.create sample with data fields replaced. */
const withData = (data: Record<string, unknown>) => ({ event: sample.event, data: { ...sample.data, ...data } });

const MENTION = '<!channel>';
const LINK = '<https://evil.example|click>';
const NASTY = `"quoted" back\\slash\nnew line\ttab\r\n & <b>bold</b> ' \` = ${MENTION} ${LINK} \u2028 \u0000 😀`;

describe('the escapers', () => {
  it('Slack escapes exactly &, < and >', () => {
    expect(escapeSlack('a & b <c> *d* _e_ ~f~ `g` "h" \'i\' =')).toBe('a &amp; b &lt;c&gt; *d* _e_ ~f~ `g` "h" \'i\' =');
    expect(escapeSlack('&amp;')).toBe('&amp;amp;');
  });

  it('HTML escapes as Handlebars does', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`=`)).toBe('&lt;a href&#x3D;&quot;x&quot; onclick&#x3D;&#x27;y&#x27;&gt;&amp;&#x60;&#x3D;');
  });

  it('JSON escaping makes the inside of a string literal', () => {
    expect(JSON.parse(`"${escapeJson(NASTY)}"`)).toBe(NASTY);
    expect(JSON.parse(`"${escapeSlackJson(NASTY)}"`)).toBe(escapeSlack(NASTY));
    expect(escapeNone(NASTY)).toBe(NASTY);
  });
});

describe('Slack text', () => {
  const text = (data: Record<string, unknown>, source: string) =>
    message<SlackMessage>('slack', 'clients.create', withData(data), { text: source }).text;

  it('keeps a mention or a link in data as text', () => {
    expect(text({ name: MENTION }, 'Client {{data.name}}')).toBe('Client &lt;!channel&gt;');
    expect(text({ name: LINK }, 'Client {{data.name}}')).toBe('Client &lt;https://evil.example|click&gt;');
    expect(text({ name: '<@U0123ABC> & <#C0123|general>' }, '{{data.name}}')).toBe('&lt;@U0123ABC&gt; &amp; &lt;#C0123|general&gt;');
  });

  it('leaves mrkdwn and quote characters alone', () => {
    expect(text({ name: '*bold* _it_ "q" \'s\' =' }, '{{data.name}}')).toBe('*bold* _it_ "q" \'s\' =');
  });

  it('lets the template itself write links, and {{{triple}}} opt out', () => {
    expect(text({ name: 'ACME & Co' }, '<https://vcs.example/clients/{{data.id}}|{{data.name}}>')).toBe(
      '<https://vcs.example/clients/12|ACME &amp; Co>',
    );
    expect(text({ name: MENTION }, '{{{data.name}}}')).toBe(MENTION);
  });

  it('escapes helper output too', () => {
    expect(text({ tags: ['<a>', 'b&c'] }, '{{join data.tags}} {{upper data.name}}')).toBe('&lt;a&gt;, b&amp;c ACME TELECOM');
    expect(text({ x: { k: '<!here>' } }, '{{json data.x}}')).toBe('{"k":"&lt;!here&gt;"}');
  });

  it('escapes data in the default message', () => {
    const msg = message<SlackMessage>('slack', 'clients.create', withData({ name: MENTION, status: LINK }));
    expect(msg.text).toContain('*Client:* &lt;!channel&gt; (#12)');
    expect(msg.text).toContain('*Status:* &lt;https://evil.example|click&gt;');
    expect(msg.text).not.toContain(MENTION);
    expect(msg.text).not.toContain('<https://evil');
  });
});

describe('Slack Block Kit', () => {
  // Handlebars cannot tell `}}}` from `}` + `}}`: a mustache next to a JSON brace needs a space.
  const blocks = `[
    { "type": "header", "text": { "type": "plain_text", "text": "{{data.name}}" } },
    { "type": "section", "text": { "type": "mrkdwn", "text": "*Client:* {{data.name}}\\n*Note:* {{data.note}}" } },
    { "type": "section", "fields": [ { "type": "mrkdwn", "text": {{{json data.name}}} } ] }
  ]`;

  it('stays valid JSON, with mrkdwn escaping inside the strings', () => {
    const msg = message<SlackMessage>('slack', 'clients.create', withData({ name: MENTION, note: NASTY }), {
      blocks,
      text: 'fallback for {{data.name}}',
    });
    const [header, section, fields] = msg.blocks as { text?: { text: string }; fields?: { text: string }[] }[];
    expect(header!.text!.text).toBe('&lt;!channel&gt;');
    expect(section!.text!.text).toBe(`*Client:* &lt;!channel&gt;\n*Note:* ${escapeSlack(NASTY)}`);
    expect(msg.text).toBe('fallback for &lt;!channel&gt;');
    // {{{json}}} inserts a JSON value as it is: here the whole field text, unescaped by choice.
    expect(fields!.fields![0]!.text).toBe(MENTION);
  });

  it('accepts a {"blocks": [...]} object, and reports a template that renders broken JSON', () => {
    const ok = message<SlackMessage>('slack', 'clients.create', withData({ name: '"}]' }), {
      blocks: '{"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "{{data.name}}"}}]}',
    });
    expect(ok.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '"}]' } }]);
    const broken = renderMessage('slack', 'clients.create', withData({}), { blocks: '[{"text": {{data.name}} }]' });
    expect(broken).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
  });
});

describe('e-mail', () => {
  const email = (data: Record<string, unknown>, parts?: Record<string, string>) =>
    message<EmailMessage>('email', 'clients.create', withData(data), parts);

  it('HTML-escapes the HTML part, and {{{triple}}} opts out', () => {
    const msg = email({ name: '<script>alert("x")</script> & co' }, { html: '<p>{{data.name}}</p><p>{{{data.raw}}}</p>' });
    expect(msg.html).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</p><p></p>');
    expect(email({ raw: '<b>ok</b>' }, { html: '{{{data.raw}}}' }).html).toBe('<b>ok</b>');
  });

  it('HTML-escapes data in the default HTML part', () => {
    const msg = email({ name: '<img src=x onerror=alert(1)>', c_email_billing: 'a"b@example.com' });
    expect(msg.html).toContain('<td>&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; (#12)</td>');
    expect(msg.html).toContain('<td>a&quot;b@example.com</td>');
    expect(msg.html).not.toContain('<img');
  });

  it('does not escape the text part', () => {
    const msg = email({ name: 'Smith & Sons <billing@smith.example> "quoted"' });
    expect(msg.text).toContain('Client: Smith & Sons <billing@smith.example> "quoted" (#12)');
    expect(email({ name: NASTY }, { text: '{{data.name}}' }).text).toBe(NASTY);
  });

  it('keeps CR and LF in data out of the subject', () => {
    const injected = 'ACME\r\nBcc: victim@example.com\r\n\r\nbody';
    const subjects = [
      email({ name: injected }).subject,
      email({ name: injected }, { subject: 'Client {{data.name}} {{{data.name}}}' }).subject,
      email({ name: 'a\nb\rc\u2028d\u2029e\tf\u000bg\u000ch' }, { subject: '{{data.name}}' }).subject,
    ];
    expect(subjects[0]).toBe('[VCS] Client created: ACME Bcc: victim@example.com body');
    expect(subjects[1]).toBe('Client ACME Bcc: victim@example.com body ACME Bcc: victim@example.com body');
    expect(subjects[2]).toBe('a b c d e f g h');
    for (const s of subjects) expect(s).not.toMatch(/[\r\n]/);
  });

  it('sends an injected subject as one header, with no extra recipient', async () => {
    const msg = email({ name: 'ACME\r\nBcc: victim@example.com' });
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: '\r\n' });
    const info = await transport.sendMail({ from: 'sb@example.com', to: 'ops@example.com', ...msg });
    const head = (info.message as Buffer).toString('utf8').split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^Subject: \[VCS\] Client created: ACME Bcc: victim@example.com$/m);
    expect(head).not.toMatch(/^Bcc:/im);
    expect(info.envelope.to).toEqual(['ops@example.com']);
  });
});

describe('webhook', () => {
  const body = (data: Record<string, unknown>, parts?: Record<string, string>) =>
    message<WebhookMessage>('webhook', 'clients.create', withData(data), parts).body as Record<string, unknown>;

  it('keeps a custom body valid JSON with quotes, backslashes, newlines and control characters in data', () => {
    const out = body({ name: NASTY, note: 'C:\\temp\\"x"' }, { body: '{"name": "{{data.name}}", "note": "{{data.note}}", "who": "{{rule.name}}"}' });
    expect(out).toEqual({ name: NASTY, note: 'C:\\temp\\"x"', who: 'test rule' });
  });

  it('does not HTML- or Slack-escape', () => {
    expect(body({ name: '<b> & "q"' }, { body: '{"n": "{{data.name}}"}' })).toEqual({ n: '<b> & "q"' });
  });

  it('inserts JSON values with {{{json}}}', () => {
    const out = body({ name: NASTY }, { body: '{"data": {{{json data}}}, "n": {{{json data.name}}}, "s": "{{json data.name}}"}' });
    expect((out.data as Record<string, unknown>).name).toBe(NASTY);
    expect(out.n).toBe(NASTY);
    expect(out.s).toBe(JSON.stringify(NASTY));
  });

  it('carries data through the default body unchanged', () => {
    const data = { ...sample.data, name: NASTY, nested: { q: '"', list: ['\\', '\n'] } };
    const out = body(data);
    expect(out.data).toEqual(data);
    expect(out.event).toEqual(sample.event);
    expect(out.text).toBe('Client created (#12, 2022-01-24 15:44 UTC)');
  });
});
