import { describe, expect, it } from 'vitest';
import { slackSettings } from '../../src/channels/slack/index.ts';
import type { Config } from '../../src/config/config.ts';
import { formatError } from '../../src/config/errors.ts';
import { loadRulesFile } from '../../src/node/rules-file.ts';

const DIR = 'test/fixtures/config';

/** The formatted errors of a fixture, loaded from disk with the real channels and compiler; [] when it loads. */
function errorsOf(name: string, env: NodeJS.ProcessEnv = {}): string[] {
  const loaded = loadRulesFile(`${DIR}/${name}`, env);
  return loaded.ok ? [] : loaded.errors.map(formatError);
}

function configOf(path: string, env: NodeJS.ProcessEnv = {}): Config {
  const loaded = loadRulesFile(path, env);
  if (!loaded.ok) throw new Error(`${path} did not load:\n${loaded.errors.map(formatError).join('\n')}`);
  return loaded.config;
}

const settingsOf = (config: Config, destination: string) => config.destinations.get(destination)?.settings;

const OPERATORS =
  '==, ===, !=, !==, >, >=, <, <=, !!, !, %, log, in, cat, substr, +, *, -, /, min, max, merge, var, missing, missing_some, if, ?:, and, or, filter, map, reduce, all, none, some';

describe('loadConfig: the shipped rules.yaml', () => {
  it('loads with no errors', () => {
    const loaded = loadRulesFile('rules.yaml', {});
    expect(loaded.ok ? [] : loaded.errors.map(formatError)).toEqual([]);
  });

  it('has its rules in file order, and reports only the URL without a default as unset', () => {
    const config = configOf('rules.yaml', {});
    expect(config.rules.map((r) => r.name)).toEqual([
      'provisioning-feed',
      'rate-import-failed',
      'big-rate-increase',
      'balance-zero',
      'balance-recovered',
    ]);
    expect(config.timeZone).toBe('Europe/Kyiv');
    expect(config.unsetEnv).toEqual(['PROVISIONING_WEBHOOK_URL']);
  });
});

describe('loadConfig: one mistake per file, with its exact position and message', () => {
  it('a missing file', () => {
    expect(errorsOf('no-such-rules.yaml')).toEqual([`${DIR}/no-such-rules.yaml:1:1: file not found`]);
  });

  it('YAML syntax errors, all of them, and nothing else', () => {
    expect(errorsOf('syntax-error.yaml')).toEqual([
      `${DIR}/syntax-error.yaml:3:1: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }`,
      `${DIR}/syntax-error.yaml:6:9: YAML syntax: Nested mappings are not allowed in compact mappings`,
    ]);
  });

  it('an empty file: the required sections', () => {
    expect(errorsOf('empty.yaml')).toEqual([
      `${DIR}/empty.yaml:1:1: destinations: missing required key "destinations"`,
      `${DIR}/empty.yaml:1:1: rules: missing required key "rules"`,
    ]);
  });

  it('an unknown top-level key, pointing at the key, with the keys allowed there', () => {
    expect(errorsOf('unknown-top-level-key.yaml')).toEqual([
      `${DIR}/unknown-top-level-key.yaml:1:1: setting: unknown key "setting" (did you mean "settings"?); expected one of: settings, extra_events, partials, destinations, incidents, rules`,
    ]);
  });

  it('an unknown key in a rule, and the required key it was meant to be', () => {
    expect(errorsOf('unknown-rule-key.yaml')).toEqual([
      `${DIR}/unknown-rule-key.yaml:4:5: rules[0].events: missing required key "events" (event ids or patterns such as "email_rates_manager.*")`,
      `${DIR}/unknown-rule-key.yaml:5:5: rules[0].evnts: unknown key "evnts" (did you mean "events"?); expected one of: name, events, when, to, template, continue, enrich, group_by, group_wait, group_interval, digest, throttle, window, incident`,
    ]);
  });

  it('a rule without `to`, pointing at the rule', () => {
    expect(errorsOf('missing-to.yaml')).toEqual([
      `${DIR}/missing-to.yaml:4:5: rules[0].to: missing required key "to" (destination names)`,
    ]);
  });

  it('an unknown event id in a list, with the id it most likely means', () => {
    expect(errorsOf('unknown-event.yaml')).toEqual([
      `${DIR}/unknown-event.yaml:5:36: rules[0].events[1]: unknown event id "clients.alance_notzero" (did you mean "clients.balance_notzero"?); newer VCS events can be listed under extra_events`,
    ]);
  });

  it('a pattern that matches no event, with the pattern it most likely means', () => {
    expect(errorsOf('pattern-matches-nothing.yaml')).toEqual([
      `${DIR}/pattern-matches-nothing.yaml:6:9: rules[0].events[0]: pattern "email_rate_manager.*" matches no known event (did you mean "email_rates_manager.*"?)`,
    ]);
  });

  it('unknown JSON-logic operators, top-level and nested, pointing at the operator, with every operator listed', () => {
    expect(errorsOf('unknown-operator.yaml')).toEqual([
      // Too far from any operator for a guess; the list has to do.
      `${DIR}/unknown-operator.yaml:6:13: rules[0].when.grater: unknown JSON-logic operator "grater"; expected one of: ${OPERATORS}`,
      // A swap of two neighbours, not "==" (one substitution away, but a different comparison).
      `${DIR}/unknown-operator.yaml:13:13: rules[1].when.and[1].=<: unknown JSON-logic operator "=<" (did you mean "<="?); expected one of: ${OPERATORS}`,
    ]);
  });

  it('a JSON-logic object with two operators', () => {
    expect(errorsOf('multi-key-logic.yaml')).toEqual([
      `${DIR}/multi-key-logic.yaml:6:11: rules[0].when: a JSON-logic operation is an object with exactly one key (the operator), found 2: >, <`,
    ]);
  });

  it('an undefined destination in a list, with the destination it most likely means', () => {
    expect(errorsOf('undefined-destination.yaml')).toEqual([
      `${DIR}/undefined-destination.yaml:7:21: rules[0].to[1]: undefined destination "financ" (did you mean "finance"?)`,
    ]);
  });

  it('an unknown destination type, with the types there are', () => {
    expect(errorsOf('unknown-destination-type.yaml')).toEqual([
      `${DIR}/unknown-destination-type.yaml:3:11: destinations.rate_desk.type: unknown destination type "slak" (did you mean "slack"?); expected one of: slack, email, webhook`,
    ]);
  });

  it('a slack destination with neither channel nor webhook_url', () => {
    expect(errorsOf('slack-without-channel.yaml')).toEqual([
      `${DIR}/slack-without-channel.yaml:3:5: destinations.rate_desk: a slack destination needs "channel" (with a bot token) or "webhook_url"`,
    ]);
  });

  it('an unknown template part, pointing at the key, with the parts the channel has', () => {
    expect(errorsOf('unknown-template-part.yaml')).toEqual([
      `${DIR}/unknown-template-part.yaml:8:16: rules[0].template.slack.txt: unknown slack template part "txt" (did you mean "text"?); expected one of: text, blocks`,
    ]);
  });

  it('a template for a channel type the rule does not send to', () => {
    expect(errorsOf('template-for-other-channel.yaml')).toEqual([
      `${DIR}/template-for-other-channel.yaml:8:7: rules[0].template.email: template for "email", but the rule sends to no email destination`,
    ]);
  });

  it('an inline template with a block left open, at the block inside the string', () => {
    expect(errorsOf('inline-template-does-not-compile.yaml')).toEqual([
      `${DIR}/inline-template-does-not-compile.yaml:9:29: rules[0].template.slack.text: template does not compile: {{#if data.file_name}} is not closed: expected {{/if}} before the end of the template`,
    ]);
  });

  it('an inline template in a block scalar, at the broken line and column in the rules file', () => {
    expect(errorsOf('inline-template-block-scalar.yaml')).toEqual([
      `${DIR}/inline-template-block-scalar.yaml:13:48: rules[0].template.email.text: template does not compile: "; " in {{join data.rate_tables key="name" "; "}} comes after a key=value argument: arguments without a name go first`,
    ]);
  });

  it('a one-line inline template, at the column in the string', () => {
    expect(errorsOf('inline-template-one-line.yaml')).toEqual([
      `${DIR}/inline-template-one-line.yaml:9:29: rules[0].template.email.subject: template does not compile: expected }} to close {{data.name, got the end of the template`,
    ]);
  });

  it('a folded inline template, at the string, with the place in the template', () => {
    expect(errorsOf('inline-template-folded.yaml')).toEqual([
      `${DIR}/inline-template-folded.yaml:9:15: rules[0].template.email.text: template does not compile: expected }} to close {{data.name, got a single } (line 1, column 26 of the template)`,
    ]);
  });

  it('a template file that does not exist, pointing at its name', () => {
    expect(errorsOf('template-file-missing.yaml')).toEqual([
      `${DIR}/template-file-missing.yaml:9:23: rules[0].template.slack.text.file: template file "templates/no-such-file.slack.hbs" not found`,
    ]);
  });

  it('a template file that does not compile, at the block in the file, naming the setting', () => {
    expect(errorsOf('template-file-does-not-compile.yaml')).toEqual([
      `${DIR}/templates/unclosed-each.slack.hbs:2:1: rules[0].template.slack.text: template does not compile: {{#each data.errors}} is not closed: expected {{/each}} before the end of the template`,
    ]);
  });

  it('a template file with a mustache left open on its second line', () => {
    expect(errorsOf('template-file-unclosed-mustache.yaml')).toEqual([
      `${DIR}/templates/unclosed-mustache.slack.hbs:2:7: rules[0].template.slack.text: template does not compile: expected }} to close {{data.file_name, got the end of the template`,
    ]);
  });

  it('a template file whose {{/…}} closes another block, at the {{/…}}', () => {
    expect(errorsOf('template-file-mismatched-block.yaml')).toEqual([
      `${DIR}/templates/mismatched-block.slack.hbs:4:1: rules[0].template.slack.text: template does not compile: {{/each}} closes {{#if data.file_name}}, opened at 2:1; expected {{/if}}`,
    ]);
  });

  it('an unknown time zone', () => {
    expect(errorsOf('bad-time-zone.yaml')).toEqual([
      `${DIR}/bad-time-zone.yaml:2:13: settings.timezone: unknown time zone "Europe/Kyjiw"; expected an IANA name such as "Europe/Kyiv" or "UTC"`,
    ]);
  });

  it('a date a send window stays shut on that is not a date, at the item of the list', () => {
    expect(errorsOf('bad-window-date.yaml')).toEqual([
      `${DIR}/bad-window-date.yaml:3:75: settings.windows.working_hours.except[1]: "2026-12-32" is not a date; write YYYY-MM-DD (2026-12-25), or MM-DD for every year (12-25)`,
    ]);
  });

  it('a duration that is not one: said once, with nothing made of it', () => {
    expect(errorsOf('bad-durations.yaml')).toEqual([
      `${DIR}/bad-durations.yaml:4:82: incidents.balance.flap: expected a duration such as 30s, 5m, 1h or 1h30m, got "10min"`,
      `${DIR}/bad-durations.yaml:10:52: rules[0].throttle.per: expected a duration such as 30s, 5m, 1h or 1h30m, got "1hr"`,
      `${DIR}/bad-durations.yaml:15:17: rules[1].group_wait: expected a duration such as 30s, 5m, 1h or 1h30m, got "5 mins"`,
      `${DIR}/bad-durations.yaml:16:21: rules[1].group_interval: expected a duration such as 30s, 5m, 1h or 1h30m, got "1hr"`,
      // 0s is a duration, but no period for a throttle.
      `${DIR}/bad-durations.yaml:20:44: rules[2].throttle.per: a throttle's period must be longer than 0`,
    ]);
  });

  it('an undefined send window: the defined names, and always where a rule may write it, are the suggestions', () => {
    expect(errorsOf('undefined-window.yaml')).toEqual([
      `${DIR}/undefined-window.yaml:3:60: destinations.finance.window: undefined send window "workinghours" (did you mean "working_hours"?); define it under settings.windows, or leave window out`,
      // A destination cannot say always: no window is written by leaving it out.
      `${DIR}/undefined-window.yaml:4:52: destinations.ops.window: undefined send window "alway"; define it under settings.windows, or leave window out`,
      `${DIR}/undefined-window.yaml:6:67: rules[0].window: undefined send window "alway" (did you mean "always"?); define it under settings.windows, or write always`,
      `${DIR}/undefined-window.yaml:7:65: rules[1].window: undefined send window "workinghours" (did you mean "working_hours"?); define it under settings.windows, or write always`,
    ]);
  });

  it('values of the wrong type: what was expected and what was found, never "Invalid input"', () => {
    expect(errorsOf('wrong-types.yaml')).toEqual([
      `${DIR}/wrong-types.yaml:2:11: partials.footer: expected a string or a mapping, got 5`,
      `${DIR}/wrong-types.yaml:6:8: destinations.finance.to: expected a string or a list, got nothing`,
      // Too far from any allowed value for a guess: "PUT" is another method, not a typo of "GET".
      `${DIR}/wrong-types.yaml:10:13: destinations.hook.method: unknown value "GET"; expected one of: POST, PUT, PATCH`,
      `${DIR}/wrong-types.yaml:11:18: destinations.hook.concurrency: expected a number of at most 256, got 300`,
      `${DIR}/wrong-types.yaml:14:13: rules[0].events: expected at least one item, got an empty list`,
      `${DIR}/wrong-types.yaml:16:15: rules[0].continue: expected true/false, got "yes"`,
      `${DIR}/wrong-types.yaml:19:11: rules[1].when: expected true/false or a mapping, got "data.balance > 0"`,
      // A mapping is the `{ file: ... }` form of a template source, so its own mistakes are the ones to report.
      `${DIR}/wrong-types.yaml:23:15: rules[1].template.webhook.body.file: missing required key "file"`,
      `${DIR}/wrong-types.yaml:23:17: rules[1].template.webhook.body.fil: unknown key "fil" (did you mean "file"?); expected one of: file`,
      `${DIR}/wrong-types.yaml:27:22: rules[2].throttle.max: expected a number of at least 1, got 0`,
    ]);
  });
});

describe('loadConfig: a rule whose shape is wrong', () => {
  it('is checked for the rest all the same, so that one run reports everything', () => {
    const at = (pos: string, rest: string) => `${DIR}/wrong-shape-and-more.yaml:${pos}: ${rest}`;
    expect(errorsOf('wrong-shape-and-more.yaml')).toEqual([
      at('9:16', 'rules[0].to[1]: undefined destination "hoook" (did you mean "hook"?)'),
      at('10:22', 'rules[0].throttle.max: expected a number of at least 1, got 0'),
      at('11:15', 'rules[0].incident: undefined incident "balanc" (did you mean "balance"?); define it under incidents:'),
      at('12:13', 'rules[0].window: undefined send window "alway" (did you mean "always"?); define it under settings.windows, or write always'),
      at('16:14', 'rules[1].enrich[0]: unknown value "clinet" (did you mean "client"?); expected one of: client, rate_table'),
      at('18:5', 'rules[1].throttle: a rule that groups already sends at most one message per group and group_interval: use group_by or throttle, not both'),
    ]);
  });
});

describe('loadConfig: several mistakes at once', () => {
  const errors = () => errorsOf('several-mistakes.yaml');
  const at = (pos: string, rest: string) => `${DIR}/several-mistakes.yaml:${pos}: ${rest}`;
  // The slack channel owns its settings; the message lists whatever they are.
  const slackKeys = Object.keys(slackSettings.shape).join(', ');

  it('reports every one of them together, in document order', () => {
    expect(errors()).toEqual([
      at('3:13', 'settings.timezone: unknown time zone "Europe/Kyjiw"; expected an IANA name such as "Europe/Kyiv" or "UTC"'),
      at('4:1', 'extra_event: unknown key "extra_event" (did you mean "extra_events"?); expected one of: settings, extra_events, partials, destinations, incidents, rules'),
      at('7:5', 'destinations.rate_desk: a slack destination needs "channel" (with a bot token) or "webhook_url"'),
      at('8:5', `destinations.rate_desk.chanel: unknown key "chanel" (did you mean "channel"?); expected one of: ${slackKeys}`),
      at('10:11', 'destinations.finance.type: unknown destination type "emial" (did you mean "email"?); expected one of: slack, email, webhook'),
      at('13:5', 'destinations.hook.url: missing required key "url" (where to POST; use ${ENV_VAR} for URLs that carry a secret)'),
      at('15:5', 'rules[0].events: missing required key "events" (event ids or patterns such as "email_rates_manager.*")'),
      at('16:5', 'rules[0].evnts: unknown key "evnts" (did you mean "events"?); expected one of: name, events, when, to, template, continue, enrich, group_by, group_wait, group_interval, digest, throttle, window, incident'),
      at('19:14', 'rules[1].events[0]: unknown event id "clients.alance_notzero" (did you mean "clients.balance_notzero"?); newer VCS events can be listed under extra_events'),
      // Unknown because `extra_event` above is misspelt.
      at('19:38', 'rules[1].events[1]: unknown event id "clients.teleport"; newer VCS events can be listed under extra_events'),
      at('19:56', 'rules[1].events[2]: pattern "email_rate_manager.*" matches no known event (did you mean "email_rates_manager.*"?)'),
      at('20:13', `rules[1].when.=<: unknown JSON-logic operator "=<" (did you mean "<="?); expected one of: ${OPERATORS}`),
      at('21:10', 'rules[1].to[0]: undefined destination "financ" (did you mean "finance"?)'),
      // `hook` is a webhook even though its settings are wrong.
      at('23:7', 'rules[1].template.slack: template for "slack", but the rule sends to no slack destination'),
      at('23:16', 'rules[1].template.slack.txt: unknown slack template part "txt" (did you mean "text"?); expected one of: text, blocks'),
    ]);
  });

  it('orders by line, then column', () => {
    const loaded = loadRulesFile(`${DIR}/several-mistakes.yaml`, {});
    if (loaded.ok) throw new Error('several-mistakes.yaml loaded');
    const positions = loaded.errors.map((e) => [e.line, e.col] as const);
    const sorted = [...positions].sort(([l1, c1], [l2, c2]) => l1 - l2 || c1 - c2);
    expect(positions).toEqual(sorted);
  });
});

describe('loadConfig: ${ENV} substitution in destinations', () => {
  const path = `${DIR}/env.yaml`;

  it('uses defaults, empties and reports unset names without one, and keeps $${...} literal', () => {
    const config = configOf(path, {});
    expect(settingsOf(config, 'rate_desk')).toMatchObject({ channel: '#rate-desk' });
    expect(settingsOf(config, 'finance')).toMatchObject({ to: '' });
    expect(settingsOf(config, 'hook')).toMatchObject({
      url: '',
      headers: { Authorization: 'Bearer ', 'X-Literal': '${NOT_AN_ENV}' },
    });
    // HOOK_TOKEN has a default (empty), so it is not reported.
    expect(config.unsetEnv).toEqual(['FINANCE_EMAIL', 'HOOK_URL']);
  });

  it('uses values that are set', () => {
    const config = configOf(path, {
      RATE_DESK_CHANNEL: 'C0123456789',
      FINANCE_EMAIL: 'finance@example.com',
      HOOK_URL: 'https://hooks.example/provisioning',
      HOOK_TOKEN: 's3cret',
    });
    expect(settingsOf(config, 'rate_desk')).toMatchObject({ channel: 'C0123456789' });
    expect(settingsOf(config, 'finance')).toMatchObject({ to: 'finance@example.com' });
    expect(settingsOf(config, 'hook')).toMatchObject({
      url: 'https://hooks.example/provisioning',
      headers: { Authorization: 'Bearer s3cret', 'X-Literal': '${NOT_AN_ENV}' },
    });
    expect(config.unsetEnv).toEqual([]);
  });

  it('treats a variable set to the empty string as unset', () => {
    const config = configOf(path, { RATE_DESK_CHANNEL: '', FINANCE_EMAIL: '', HOOK_URL: 'https://hooks.example/provisioning' });
    expect(settingsOf(config, 'rate_desk')).toMatchObject({ channel: '#rate-desk' });
    expect(config.unsetEnv).toEqual(['FINANCE_EMAIL']);
  });
});
