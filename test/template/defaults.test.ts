import { describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../src/channels/email/index.ts';
import type { SlackMessage } from '../../src/channels/slack/index.ts';
import type { WebhookMessage } from '../../src/channels/webhook/index.ts';
import { EVENTS } from '../../src/events/catalog.ts';
import { eventSummary } from '../../src/template/defaults.ts';
import { message, renderMessage, type ChannelType } from './support.ts';

type Sample = { event: { dt: string; events_id: string; object_id: number | string }; data: Record<string, unknown> };

const CHANNELS: ChannelType[] = ['slack', 'email', 'webhook'];
// The catalog's samples all happen at 2022-01-24T15:44:47 UTC.
const WHEN = '2022-01-24 15:44';

/** Every readable text of a rendered default message, by channel. */
function texts(type: ChannelType, msg: unknown): string[] {
  if (type === 'slack') return [(msg as SlackMessage).text];
  if (type === 'email') {
    const m = msg as EmailMessage;
    return [m.text!, m.html!];
  }
  return [((msg as WebhookMessage).body as { text: string }).text];
}

const cases = Object.entries(EVENTS).flatMap(([id, info]) => CHANNELS.map((type) => [id, type, info.title, info.sample as Sample] as const));

describe.each(cases)('the default message of %s on %s', (id, type, title, sample) => {
  const out = renderMessage(type, id, sample);

  it('renders from the sample payload', () => {
    expect(out).toMatchObject({ ok: true });
  });

  it('says what happened, to what and when', () => {
    const msg = (out as { message: unknown }).message;
    const objectId = String(sample.event.object_id);
    for (const text of texts(type, msg)) {
      expect(text).toContain(title);
      // "#12", "(object 12)", "Message id: 77798" and its Slack and HTML forms
      expect(text).toMatch(new RegExp(`(?:#|object |:\\*? |<td>)${objectId}\\b`));
      expect(text).toContain(WHEN);
    }
    if (type === 'email') expect((msg as EmailMessage).subject).toContain(title);
  });

  it('has no leftovers of a template', () => {
    for (const text of texts(type, (out as { message: unknown }).message)) {
      expect(text).not.toMatch(/\{\{|\}\}|undefined|\[object Object\]|NaN/);
    }
  });
});

describe('default details', () => {
  const slack = (id: string, sample: unknown, timeZone?: string) => message<SlackMessage>('slack', id, sample as Record<string, unknown>, {}, timeZone).text;
  const sampleOf = (id: string) => EVENTS[id]!.sample as Sample;

  it('show a balance of zero', () => {
    // clients.create's sample client has balance 0; {{#if}} alone would hide the line.
    expect(slack('clients.create', sampleOf('clients.create'))).toContain('*Balance:* 0.00 USD');
    const enriched = { ...sampleOf('clients.balance_zero'), client: { name: 'ACME', balance: 0, credit: 500, currency: 'USD' } };
    const text = slack('clients.balance_zero', enriched);
    expect(text).toContain('*Client:* ACME (#12)');
    expect(text).toContain('*Balance:* 0.00 USD');
    expect(text).toContain('*Credit limit:* 500.00 USD');
  });

  it('leave out lines whose value is missing', () => {
    const text = slack('clients.balance_zero', sampleOf('clients.balance_zero'));
    expect(text).not.toContain('Balance:');
    expect(text).not.toContain('Credit limit:');
  });

  it('name the queue item of an import and the message of a rate e-mail', () => {
    expect(slack('importd.process_failed', sampleOf('importd.process_failed'))).toContain('*Queue item:* #911');
    const s = sampleOf('email_rates_manager.no_attachments');
    expect(slack(s.event.events_id, s)).toContain('*Message id:* 77798');
  });

  it('use the time zone of the settings', () => {
    expect(slack('clients.delete', sampleOf('clients.delete'), 'Europe/Kyiv')).toContain('2022-01-24 17:44 EET');
    const email = message<EmailMessage>('email', 'clients.delete', sampleOf('clients.delete'), {}, 'Europe/Kyiv');
    expect(email.text).toContain('When: 2022-01-24 17:44:47 EET');
  });

  it('say how often an incident flapped, in the singular for once', () => {
    const closing = (flaps: number) => ({
      ...sampleOf('clients.balance_notzero'),
      incident: { name: 'balance', key: '12', state: 'closed', opened_at: '2022-01-24T14:14:47Z', flaps, duration: '1 h 30 min' },
    });
    expect(slack('clients.balance_notzero', closing(0))).toContain('*Since:* 2022-01-24 14:14 UTC (1 h 30 min)\n');
    expect(slack('clients.balance_notzero', closing(1))).toContain('*Since:* 2022-01-24 14:14 UTC (1 h 30 min), flapped 1 time\n');
    expect(slack('clients.balance_notzero', closing(2))).toContain('*Since:* 2022-01-24 14:14 UTC (1 h 30 min), flapped 2 times\n');
    const email = message<EmailMessage>('email', 'clients.balance_notzero', closing(1));
    expect(email.text).toContain('Since: 2022-01-24 14:14 UTC (1 h 30 min), flapped 1 time\n');
    expect(email.html).toContain('flapped 1 time<');
  });

  it('exist for every event in the catalog', () => {
    for (const id of Object.keys(EVENTS)) {
      expect(eventSummary(id).title).toBe(EVENTS[id]!.title);
      expect(eventSummary(id).details.map((d) => d.label)).not.toEqual(['Object', 'Data']);
    }
  });
});

describe('an event id this release does not know', () => {
  const sample = {
    event: { dt: '2026-03-29T00:30:00+00:00', events_id: 'clients.new_thing', object_id: 4242 },
    data: { name: 'ACME <Telecom>', flag: true, nested: { a: 1 } },
  };

  it.each(CHANNELS)('still says what happened, to what and when on %s', (type) => {
    const out = renderMessage(type, 'clients.new_thing', sample);
    expect(out).toMatchObject({ ok: true });
    const msg = (out as { message: unknown }).message;
    for (const text of texts(type, msg)) {
      expect(text).toContain('VCS event clients.new_thing');
      expect(text).toContain('4242');
      expect(text).toContain('2026-03-29 00:30');
    }
    if (type === 'email') expect((msg as EmailMessage).subject).toBe('[VCS] VCS event clients.new_thing: ACME <Telecom>');
  });

  it('shows its data, escaped for the channel', () => {
    const slack = message<SlackMessage>('slack', 'clients.new_thing', sample).text;
    expect(slack).toContain('*Object:* 4242');
    expect(slack).toContain('*Data:* {"name":"ACME &lt;Telecom&gt;","flag":true,"nested":{"a":1}}');
    const email = message<EmailMessage>('email', 'clients.new_thing', sample);
    expect(email.html).toContain('ACME &lt;Telecom&gt;');
    const webhook = message<WebhookMessage>('webhook', 'clients.new_thing', sample).body as Record<string, unknown>;
    expect(webhook.data).toEqual(sample.data);
  });

  it('renders with empty data too', () => {
    const empty = { event: sample.event, data: {} };
    for (const type of CHANNELS) expect(renderMessage(type, 'clients.new_thing', empty)).toMatchObject({ ok: true });
    expect(message<SlackMessage>('slack', 'clients.new_thing', empty).text).toBe(
      '*VCS event clients.new_thing*\n• *Object:* 4242\n• *Data:* {}\n_2026-03-29 00:30 UTC · VCS event clients.new_thing_',
    );
  });
});
