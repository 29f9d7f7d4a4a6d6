import { describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../src/channels/email/index.ts';
import type { SlackMessage } from '../../src/channels/slack/index.ts';
import type { WebhookMessage } from '../../src/channels/webhook/index.ts';
import { channelKinds } from '../../src/channels/index.ts';
import { formatError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createEnrichment, readEnrichSettings } from '../../src/enrich/setup.ts';
import { EVENTS } from '../../src/events/catalog.ts';
import { createLogger } from '../../src/log.ts';
import { loadRulesFile } from '../../src/node/rules-file.ts';
import { compileTemplate } from '../../src/node/template-compiler.ts';
import { message } from '../template/support.ts';

const load = (yaml: string) => loadConfig(yaml, { file: 'rules.yaml', env: {}, kinds: channelKinds(), compile: compileTemplate, readFile: () => undefined });
const errors = (yaml: string) => {
  const r = load(yaml);
  return r.ok ? [] : r.errors.map(formatError);
};

describe('enrich: in rules.yaml', () => {
  it("takes one name or a list, on rules and destinations; a destination's enrichment applies to the rules sending to it", () => {
    const r = load(`
destinations:
  finance: { type: email, to: f@example.com, enrich: client }
  desk: { type: slack, channel: "#desk" }
rules:
  - { name: zero, events: clients.balance_zero, to: finance }
  - { name: imports, events: "importd.*", enrich: rate_table, to: [desk, finance] }
  - { name: both, events: "*", enrich: [client, rate_table, client], to: desk }
  - { name: plain, events: clients.update, to: desk }
`);
    if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
    expect(r.config.rules.map((x) => [x.name, x.enrich])).toEqual([
      ['zero', ['client']],
      ['imports', ['rate_table', 'client']],
      ['both', ['client', 'rate_table']],
      ['plain', undefined],
    ]);
    expect(r.config.destinations.get('finance')!.enrich).toEqual(['client']);
    // `enrich` is not passed on to the channel's own settings, which reject unknown keys.
    expect(r.config.destinations.get('finance')!.settings).not.toHaveProperty('enrich');
  });

  it('reports unknown names where they are, with a suggestion', () => {
    expect(
      errors(`
destinations:
  finance: { type: email, to: f@example.com, enrich: [clients] }
rules:
  - { name: a, events: clients.balance_zero, enrich: clinet, to: finance }
  - { name: b, events: "importd.*", enrich: [rate_table, ratetable], to: finance }
`),
    ).toEqual([
      'rules.yaml:3:55: destinations.finance.enrich[0]: unknown value "clients" (did you mean "client"?); expected one of: client, rate_table',
      'rules.yaml:5:54: rules[0].enrich: unknown value "clinet" (did you mean "client"?); expected one of: client, rate_table',
      'rules.yaml:6:58: rules[1].enrich[1]: unknown value "ratetable" (did you mean "rate_table"?); expected one of: client, rate_table',
    ]);
  });

  it("reports enrichment that none of the rule's events can name", () => {
    expect(
      errors(`
destinations:
  desk: { type: slack, channel: "#desk" }
rules:
  - { name: a, events: "importd.*", enrich: [client], to: desk }
  - { name: b, events: [clients.balance_zero, clients.update], enrich: rate_table, to: desk }
  - { name: c, events: clients.accounts.delete, enrich: [client], to: desk }
  - { name: d, events: "clients.accounts.*", enrich: [client], to: desk }
`),
    ).toEqual([
      "rules.yaml:5:46: rules[0].enrich[0]: none of this rule's events names a client; client enrichment is for clients.* events but clients.accounts.delete",
      "rules.yaml:6:72: rules[1].enrich: none of this rule's events names a rate table; rate_table enrichment is for importd.* and email_rates_manager.import",
      "rules.yaml:7:58: rules[2].enrich[0]: none of this rule's events names a client; client enrichment is for clients.* events but clients.accounts.delete",
    ]);
  });

  it('the shipped rules.yaml asks for the client in the finance e-mails and the rate table for failed imports', () => {
    const r = loadRulesFile('rules.yaml', {});
    if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
    expect(Object.fromEntries(r.config.rules.map((x) => [x.name, x.enrich ?? []]))).toEqual({
      'provisioning-feed': [],
      'rate-import-failed': ['rate_table'],
      'big-rate-increase': [],
      'balance-zero': ['client'],
      'balance-recovered': ['client'],
    });
  });
});

describe('VCS_API_* settings', () => {
  it('have defaults, and errors name the variable', () => {
    expect(readEnrichSettings({})).toEqual({ ok: true, value: { timeoutMs: 3_000, cacheTtlMs: 60_000, cacheSize: 1_000, pauseMs: 10_000 } });
    expect(
      readEnrichSettings({ VCS_API_URL: 'https://billing.example.com', VCS_API_KEY: 'k', VCS_API_TIMEOUT_MS: '1500', VCS_API_CACHE_TTL_SECONDS: '0', VCS_API_CACHE_SIZE: '50', VCS_API_PAUSE_MS: '0' }),
    ).toEqual({ ok: true, value: { url: 'https://billing.example.com', apiKey: 'k', timeoutMs: 1_500, cacheTtlMs: 0, cacheSize: 50, pauseMs: 0 } });
    expect(readEnrichSettings({ VCS_API_URL: 'billing', VCS_API_TIMEOUT_MS: '0', VCS_API_CACHE_SIZE: 'many' })).toEqual({
      ok: false,
      errors: [
        'VCS_API_URL: expected an http(s) URL such as https://billing.example.com/api/, got something that is not a URL (no http:// or https:// at the start)',
        'VCS_API_TIMEOUT_MS must be a whole number ≥ 1, got "0"',
        'VCS_API_CACHE_SIZE must be a whole number ≥ 0, got "many"',
      ],
    });
  });

  it('say at start-up when rules ask for enrichment that is not configured', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l));
    const rules = [{ name: 'balance-zero', enrich: ['client' as const] }, { name: 'other' }];
    createEnrichment({ apiKey: 'k', timeoutMs: 1, cacheTtlMs: 0, cacheSize: 0, pauseMs: 0 }, rules, log);
    createEnrichment({ timeoutMs: 1, cacheTtlMs: 0, cacheSize: 0, pauseMs: 0 }, [{ name: 'other' }], log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ WARN rules ask for details from the VCS CoreAPI but VCS_API_URL is not set: their messages go out without them rules="balance-zero \(client\)"$/);
  });

  it('warn when the key would cross the network in clear, and never log it', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l));
    const settings = { url: 'http://billing.example.com/api/', apiKey: 'secret-key-123', timeoutMs: 1, cacheTtlMs: 0, cacheSize: 0, pauseMs: 0 };
    createEnrichment(settings, [{ name: 'z', enrich: ['client' as const] }], log);
    expect(lines[0]).toMatch(/ WARN VCS_API_URL uses plain http: the API key crosses the network unencrypted; use https endpoint=http:\/\/billing\.example\.com\/api\/$/);
    expect(lines[1]).toMatch(/ INFO enrichment from the VCS CoreAPI ready endpoint=http:\/\/billing\.example\.com\/api\/ timeout_ms=1 rules="z \(client\)"$/);
    expect(lines.join('\n')).not.toContain('secret-key-123');
  });
});

describe('default messages with enrichment', () => {
  const zero = EVENTS['clients.balance_zero']!.sample as Record<string, unknown>;
  const client = { id: 12, name: 'ACME Telecom', balance: 0, credit: 500, currency: 'USD' };
  const note = 'Details from VCS are missing: client #12 could not be fetched (no answer from the CoreAPI within 3000 ms).';

  it("name the client and show its balance (zero too), credit limit and currency", () => {
    const mail = message<EmailMessage>('email', 'clients.balance_zero', { ...zero, client });
    expect(mail.subject).toBe('[VCS] Client balance reached zero: ACME Telecom');
    expect(mail.text).toContain('Client: ACME Telecom (#12)\nBalance: 0.00 USD\nCredit limit: 500.00 USD\n');
    expect(mail.html).toContain('<tr><th align="left">Balance</th><td>0.00 USD</td></tr>');
    const slack = message<SlackMessage>('slack', 'clients.balance_notzero', { ...zero, client: { ...client, balance: 12.5 } });
    expect(slack.text).toContain('• *Client:* ACME Telecom (#12)\n• *Balance:* 12.50 USD\n• *Credit limit:* 500.00 USD\n');
    const archived = message<EmailMessage>('email', 'clients.archive', { ...zero, client });
    expect(archived.text).toContain('Client: ACME Telecom (#12)');
  });

  it('say when the details could not be fetched', () => {
    const ctx = { ...zero, enrichment: { note } };
    expect(message<EmailMessage>('email', 'clients.balance_zero', ctx).text).toContain(`Client: #12\nNote: ${note}\n`);
    expect(message<SlackMessage>('slack', 'clients.balance_zero', ctx).text).toContain(`• *Note:* ${note}\n`);
    expect((message<WebhookMessage>('webhook', 'clients.balance_zero', ctx).body as Record<string, unknown>).enrichment_note).toBe(note);
    expect(message<EmailMessage>('email', 'clients.balance_zero', zero).text).not.toContain('Note:');
  });

  it('name the rate table of an import from enrichment when the payload does not', () => {
    const sample = EVENTS['importd.process_failed']!.sample as { event: unknown; data: Record<string, unknown> };
    const { rate_table_name: _name, ...data } = sample.data;
    const slack = message<SlackMessage>('slack', 'importd.process_failed', { event: sample.event, data, rate_table: { id: 74, name: 'Vendor A - Premium' } });
    expect(slack.text).toContain('• *Rate table:* Vendor A - Premium (#74)\n');
  });
});
