import { describe, expect, it } from 'vitest';
import { runCli } from '../support/server-process.ts';

describe('switchboard check', () => {
  it('accepts the shipped rules.yaml', async () => {
    const r = await runCli(['check', 'rules.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rules.yaml: OK (5 rules, 3 destinations)');
  });

  it('exits 1 with every error', async () => {
    const r = await runCli(['check', 'test/fixtures/rules/two-mistakes.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'test/fixtures/rules/two-mistakes.yaml:5:13: rules[0].events: unknown event id "clients.alance_notzero" (did you mean "clients.balance_notzero"?); newer VCS events can be listed under extra_events',
      'test/fixtures/rules/two-mistakes.yaml:6:9: rules[0].to: undefined destination "financ" (did you mean "finance"?)',
      '2 errors in test/fixtures/rules/two-mistakes.yaml',
    ]);
  });
});

describe('switchboard test', () => {
  it('shows which rules match and the rendered message, sending nothing', async () => {
    const r = await runCli(['test', 'test/fixtures/events/clients.balance_zero.json'], { SMTP_URL: 'smtp://127.0.0.1:9' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('event clients.balance_zero (object 12)');
    expect(r.stdout).toContain('  MATCH  balance-zero → finance');
    expect(r.stdout).toContain('  -      rate-import-failed: does not take clients.balance_zero');
    expect(r.stdout).toContain('--- finance (email) from rule balance-zero');
    expect(r.stdout).toContain('"subject": "Balance reached zero: client #12"');
  });

  it('says when no rule takes the event', async () => {
    const r = await runCli(['test', 'test/fixtures/events/clients.create.json']);
    expect(r.stdout).toContain('no rule takes this event: nothing would be sent');
  });

  it('rejects a malformed payload with the reason', async () => {
    const r = await runCli(['test', 'package.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('package.json: missing field "event"');
  });
});
