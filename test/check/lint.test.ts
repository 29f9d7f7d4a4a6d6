import { describe, expect, it } from 'vitest';
import { check, type CheckOptions } from '../../src/cli/check.ts';

const DIR = 'test/fixtures/check';
// Credentials set, so that only the mistake each fixture is about is reported.
const CREDENTIALS = { SLACK_BOT_TOKEN: 'xoxb-test', SMTP_URL: 'smtp://127.0.0.1:9' };

/** Runs `switchboard check` on a fixture in this process: its exit code and the lines it printed. */
function run(name: string, options: CheckOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = check(`${DIR}/${name}`, { env: CREDENTIALS, ...options }, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

/** The findings of a fixture, as printed. */
const findings = (name: string, options: CheckOptions = {}) => run(name, options).err.slice(0, -1);

describe('switchboard check: templates against a sample of each event their rule takes', () => {
  it('a misspelt variable, with the field it most likely means, at its place in the YAML; a test for a field the event lacks only when misspelt', () => {
    expect(run('unknown-variable.yaml').err).toEqual([
      `${DIR}/unknown-variable.yaml:11:29: rules[0].template.slack.text: unknown variable "data.nmae" (did you mean "data.name"?): not in the sample of clients.create`,
      `${DIR}/unknown-variable.yaml:11:87: rules[0].template.slack.text: unknown variable "data.curency" (did you mean "data.currency"?): not in the sample of clients.create`,
      `${DIR}/unknown-variable.yaml:11:162: rules[0].template.slack.text: unknown variable "data.statsu" (did you mean "data.status"?): not in the sample of clients.create`,
      `3 errors in ${DIR}/unknown-variable.yaml`,
    ]);
  });

  it('in a template file: its own line and column, inside {{#with}}, {{#each}}, block params and @root', () => {
    const samples = 'not in the samples of email_rates_manager.no_attachments or email_rates_manager.file_processing_error';
    const at = (pos: string, rest: string) => `${DIR}/templates/rate-mail-failed.slack.hbs:${pos}: rules[0].template.slack.text: ${rest}: ${samples}`;
    expect(findings('unknown-variable-in-file.yaml')).toEqual([
      at('2:51', 'unknown variable "hots" (did you mean "host"?)'),
      at('4:72', 'unknown variable "nmae" (did you mean "name"?)'),
      at('6:21', 'unknown variable "data.error.mesage" (did you mean "data.error.message"?)'),
      at('6:50', 'unknown variable "@root.data.message.subjet" (did you mean "@root.data.message.subject"?)'),
    ]);
  });

  it('a misspelt variable in a condition, which would never be true', () => {
    expect(findings('unknown-variable-in-condition.yaml')).toEqual([
      `${DIR}/unknown-variable-in-condition.yaml:7:34: rules[0].when.and[0].>[0].var: unknown variable "data.rates.increasd" (did you mean "data.rates.increased"?): not in the sample of importd.process_success`,
    ]);
  });

  it('misspelt paths in group, throttle and incident keys', () => {
    expect(findings('unknown-key-path.yaml')).toEqual([
      `${DIR}/unknown-key-path.yaml:5:81: incidents.balance.key: unknown path "event.objectid" (did you mean "event.object_id"?): not in the samples of clients.balance_zero or clients.balance_notzero, so every event would share one incident`,
      `${DIR}/unknown-key-path.yaml:7:94: rules[0].group_by[0]: unknown path "data.credentials.logn" (did you mean "data.credentials.login"?): not in the sample of email_rates_manager.no_attachments, so every event would share one group`,
      `${DIR}/unknown-key-path.yaml:8:91: rules[1].throttle.key[1]: unknown path "data.nmae" (did you mean "data.name"?): not in the sample of clients.update, so it would tell no events apart`,
    ]);
  });

  it('a field the event never has, with nothing close to suggest; enrichment (client) is not checked', () => {
    expect(findings('event-without-field.yaml')).toEqual([
      `${DIR}/event-without-field.yaml:10:43: rules[0].template.email.subject: unknown variable "data.name": not in the sample of clients.balance_zero`,
    ]);
  });

  it('a misspelt helper, once (not again as the run-time error it causes)', () => {
    expect(findings('unknown-helper.yaml')).toEqual([`${DIR}/unknown-helper.yaml:10:80: rules[0].template.slack.text: unknown helper "dat" (did you mean "date"?)`]);
  });

  it('a misspelt partial, and a misspelt variable inside a partial, at its place under partials', () => {
    expect(findings('unknown-partial.yaml')).toEqual([
      `${DIR}/unknown-partial.yaml:4:14: partials.client: unknown variable "data.nmae" (did you mean "data.name"?): not in the sample of clients.create (in partial "client", rendered by rule "new-client")`,
      `${DIR}/unknown-partial.yaml:13:45: rules[0].template.slack.text: unknown partial "foter" (did you mean "footer"?); partials are declared under \`partials:\``,
    ]);
  });

  it('a message the channel cannot build from the rendered template', () => {
    expect(findings('does-not-render.yaml')).toEqual([
      `${DIR}/does-not-render.yaml:10:15: rules[0].template.webhook.body: does not render for clients.create: the rendered webhook body is not valid JSON: Unexpected token 'A', "{"name": ACME Telec"... is not valid JSON`,
    ]);
  });

  it('no false alarms: each, with, sections, block params, ../, @root, lookup, partials, enrichment, update events, per-item conditions, tests and fallbacks for fields only other events have; default messages for every event on every channel', () => {
    const r = run('every-event.yaml');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    // 4 rate e-mail events, 3 update events, and each of the 21 events to 3 destinations.
    expect(r.out).toEqual([expect.stringMatching(/^test\/fixtures\/check\/every-event\.yaml: OK \(3 rules, 3 destinations\); 70 sample messages rendered; version [0-9a-f]{12}$/)]);
  });
});

describe('switchboard check: warnings', () => {
  it("Slack's limits on the rendered samples", () => {
    const r = run('slack-limits.yaml');
    expect(r.code).toBe(0);
    expect(r.err).toEqual([
      `${DIR}/slack-limits.yaml:11:17: warning: rules[0].template.slack.blocks: for email_rates_manager.file_processing_error the message would be cut: header block 1's text is 265 characters; Slack's limit is 150`,
    ]);
    expect(r.out[0]).toMatch(/^test\/fixtures\/check\/slack-limits\.yaml: OK \(1 rule, 1 destination\) with 1 warning; 1 sample message rendered; version /);
  });

  it('environment variables referenced but unset, and destinations left without credentials', () => {
    const r = run('unset-env.yaml', { env: {} });
    expect(r.code).toBe(0);
    expect(r.err).toEqual([
      `${DIR}/unset-env.yaml:4:5: warning: destinations.hook: no credentials (its url is empty): its messages would be logged, not sent`,
      `${DIR}/unset-env.yaml:5:10: warning: destinations.hook.url: environment variable HOOK_URL is not set (the value becomes empty)`,
      `${DIR}/unset-env.yaml:6:31: warning: destinations.hook.headers.Authorization: environment variable HOOK_TOKEN is not set (the value becomes empty)`,
      `${DIR}/unset-env.yaml:7:9: warning: destinations.desk: no credentials (SLACK_BOT_TOKEN is not set): its messages would be logged, not sent`,
    ]);
  });

  it('a destination the environment cannot connect', () => {
    expect(run('unset-env.yaml', { env: { ...CREDENTIALS, HOOK_URL: 'http://127.0.0.1:9/', HOOK_TOKEN: 't', SLACK_BOT_TOKEN: '' } }).err).toEqual([
      `${DIR}/unset-env.yaml:7:9: warning: destinations.desk: no credentials (SLACK_BOT_TOKEN is not set): its messages would be logged, not sent`,
    ]);
    expect(run('every-event.yaml', { env: { ...CREDENTIALS, SMTP_URL: 'mail.example.com' } }).err).toEqual([
      `${DIR}/every-event.yaml:6:12: warning: destinations.finance: cannot be connected with this environment: SMTP_URL is not a valid URL (expected smtp://… or smtps://…)`,
    ]);
  });

  it('never shows the value of a URL it cannot use, which may hold a password', () => {
    const typo = run('every-event.yaml', { env: { ...CREDENTIALS, SMTP_URL: 'smpt://mailer:s3cret-pass@127.0.0.1:2525' } });
    expect(typo.err).toEqual([
      `${DIR}/every-event.yaml:6:12: warning: destinations.finance: cannot be connected with this environment: SMTP_URL must start with smtp:// or smtps://, not smpt://`,
    ]);
    const badPort = run('every-event.yaml', { env: { ...CREDENTIALS, SMTP_URL: 'smtp://mailer:s3cret-pass@127.0.0.1:notaport' } });
    expect(badPort.err.join('\n')).toContain('SMTP_URL is not a valid URL');
    const webhook = run('unset-env.yaml', { env: { ...CREDENTIALS, HOOK_URL: 'ftp://u:s3cret-pass@127.0.0.1/', HOOK_TOKEN: 't' } });
    expect(webhook.err).toEqual([`${DIR}/unset-env.yaml:4:5: warning: destinations.hook: cannot be connected with this environment: its url must start with https:// or http://, not ftp://`]);
    for (const r of [typo, badPort, webhook]) expect(r.err.join('\n')).not.toContain('s3cret-pass');
  });

  it('none once the variables are set', () => {
    expect(run('unset-env.yaml', { env: { ...CREDENTIALS, HOOK_URL: 'http://127.0.0.1:9/', HOOK_TOKEN: 't' } }).err).toEqual([]);
  });

  it('rules that never take an event, and rules with the same name', () => {
    expect(run('unreachable-rule.yaml').err).toEqual([
      `${DIR}/unreachable-rule.yaml:13:5: warning: rules[2]: never takes an event: rule "all-client-changes" (rules[1]) takes all of its events first and does not continue`,
      `${DIR}/unreachable-rule.yaml:16:5: warning: rules[3]: never takes an event: rule "all-client-changes" (rules[1]) takes all of its events first and does not continue`,
      `${DIR}/unreachable-rule.yaml:16:11: warning: rules[3].name: rules[1] has the same name; \`switchboard test\`, explain and test cases tell rules apart by name`,
    ]);
  });

  it('--strict makes warnings fail the check', () => {
    const r = run('slack-limits.yaml', { strict: true });
    expect(r.code).toBe(1);
    expect(r.err.at(-1)).toBe(`0 errors and 1 warning in ${DIR}/slack-limits.yaml (--strict)`);
  });
});

describe('switchboard check: payloads of your own', () => {
  it('checks templates against them too, naming the payload', () => {
    // The captured payload has a field the built-in sample lacks, and lacks one the sample has.
    expect(findings('own-payloads.yaml', { samples: [`${DIR}/payloads`] })).toEqual([
      `${DIR}/own-payloads.yaml:10:48: rules[0].template.slack.text: unknown variable "data.vat_numbr" (did you mean "data.vat_number"?): not in the samples of clients.create or clients.create (${DIR}/payloads/client-with-vat.json)`,
    ]);
  });

  it('a --samples path that does not exist is a usage error', () => {
    expect(run('own-payloads.yaml', { samples: [`${DIR}/no-such-folder`] })).toMatchObject({ code: 2, err: [`${DIR}/no-such-folder: no such file or folder`] });
  });
});

describe('switchboard check --json', () => {
  it('one document with errors and warnings apart, and the exit code of the text form', () => {
    const r = run('unknown-variable-in-condition.yaml', { json: true, env: {} });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out.join('\n'))).toEqual({
      file: `${DIR}/unknown-variable-in-condition.yaml`,
      ok: false,
      version: expect.stringMatching(/^[0-9a-f]{12}$/),
      rules: 1,
      destinations: 1,
      messages: 1,
      errors: [
        {
          file: `${DIR}/unknown-variable-in-condition.yaml`,
          line: 7,
          col: 34,
          path: 'rules[0].when.and[0].>[0].var',
          message: 'unknown variable "data.rates.increasd" (did you mean "data.rates.increased"?): not in the sample of importd.process_success',
        },
      ],
      warnings: [
        {
          file: `${DIR}/unknown-variable-in-condition.yaml`,
          line: 3,
          col: 9,
          path: 'destinations.desk',
          message: 'no credentials (SLACK_BOT_TOKEN is not set): its messages would be logged, not sent',
        },
      ],
    });
  });

  it('loader errors, with null counts', () => {
    const out = JSON.parse(run('../rules/two-mistakes.yaml', { json: true }).out.join('\n'));
    expect(out).toMatchObject({ ok: false, rules: null, destinations: null, messages: 0, warnings: [] });
    expect(out.errors.map((e: { path: string }) => e.path)).toEqual(['rules[0].events', 'rules[0].to']);
  });
});
