import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/server-process.ts';
import { commit, newEvent, tempStore } from '../support/store.ts';

describe('switchboard check', () => {
  it('accepts the shipped rules.yaml: exit 0, its warnings, and the version the server will report', async () => {
    const r = await runCli(['check', 'rules.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rules\.yaml: OK \(5 rules, 3 destinations\) with 4 warnings; 15 sample messages rendered; version [0-9a-f]{12}\n$/);
    expect(r.stderr).toContain('rules.yaml:33:10: warning: destinations.provisioning_hook.url: environment variable PROVISIONING_WEBHOOK_URL is not set (the value becomes empty)');
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

  it('reads ./rules.yaml when RULES_FILE is empty, as serve does', async () => {
    const runs = await Promise.all([runCli(['check'], { RULES_FILE: '' }), runCli(['test', 'importd.process_failed'], { RULES_FILE: '' })]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runs[0]!.stdout).toMatch(/^rules\.yaml: OK \(5 rules, 3 destinations\)/);
    expect(runs[1]!.stdout).toContain('MATCH  rate-import-failed');
  });

  it('--strict: warnings fail too', async () => {
    const r = await runCli(['check', '--strict', 'rules.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('0 errors and 4 warnings in rules.yaml (--strict)');
  });
});

describe('usage errors exit 2', () => {
  it('an unknown option, an unknown command, a missing argument', async () => {
    const runs = await Promise.all(
      [['check', '--bogus'], ['events', '--rules', 'rules.yaml'], ['frobnicate'], ['test'], ['samples', 'clients.balance'], ['test', 'no-such-payload.json'], ['test', 'rules.test.yaml']].map((a) => runCli(a)),
    );
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr.split('\n')[0])).toEqual([
      'switchboard: check has no option --bogus; it takes --rules, --json, --strict, --samples',
      'switchboard: events has no option --rules; it takes --status, --since, --limit, --json',
      'switchboard: unknown command "frobnicate"',
      'switchboard: test needs a payload file, a folder of them or an event id',
      'unknown event id "clients.balance"; `switchboard samples` lists them',
      'no-such-payload.json: no such file or folder',
      'rules.test.yaml: payloads are JSON; to run a test-cases file, use --cases rules.test.yaml',
    ]);
  });

  it('a rules file that does not exist, whichever command reads it', async () => {
    const runs = await Promise.all(
      [
        ['check', 'no-such-rules.yaml'],
        ['check', '--json', 'no-such-rules.yaml'],
        ['test', '--rules', 'no-such-rules.yaml', 'clients.balance_zero'],
        ['test', '--cases', 'rules.test.yaml', '--rules', 'no-such-rules.yaml'],
      ].map((a) => runCli(a)),
    );
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    for (const r of [runs[0]!, runs[2]!, runs[3]!]) {
      expect(r.stderr.trim().split('\n')).toEqual(['no-such-rules.yaml:1:1: file not found', '1 error in no-such-rules.yaml']);
    }
    expect(JSON.parse(runs[1]!.stdout)).toMatchObject({ file: 'no-such-rules.yaml', ok: false, errors: [{ line: 1, col: 1, message: 'file not found' }] });
  });
});

describe('switchboard samples', () => {
  it('lists the 22 event ids with what they mean', async () => {
    const r = await runCli(['samples']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(22);
    expect(lines).toContain('email_rates_manager.file_processing_error  Rate file could not be processed');
    expect(lines.at(-1)).toMatch(/^clients\.custom_fields_update {15}Client custom fields updated \(the spelling of VCS before 3\.23\)$/);
  });

  it("prints an event's sample payload", async () => {
    const r = await runCli(['samples', 'clients.balance_zero']);
    expect(JSON.parse(r.stdout)).toEqual({ event: { dt: '2022-01-24T15:44:47.216756+00:00', events_id: 'clients.balance_zero', object_id: 12 }, data: {} });
  });

  it('ends quietly when its reader goes away (`switchboard samples | head -1`)', async () => {
    const child = spawn(process.execPath, ['bin/switchboard.js', 'samples'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // closed before the command writes: every write gets EPIPE
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('switchboard test', () => {
  it('shows which rules match and the rendered message, sending nothing', async () => {
    const r = await runCli(['test', 'test/fixtures/events/clients.balance_zero.json'], { SMTP_URL: 'smtp://127.0.0.1:9' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('event clients.balance_zero (object 12), from test/fixtures/events/clients.balance_zero.json');
    expect(r.stdout).toContain('  MATCH  balance-zero → finance');
    expect(r.stdout).toContain('  -      rate-import-failed: does not take clients.balance_zero');
    expect(r.stdout).toContain('--- finance (email) from rule balance-zero');
    expect(r.stdout).toContain('"subject": "Balance reached zero: client #12"');
  });

  it("takes an event id (its built-in sample) and says which part of a condition was false, with the values it saw", async () => {
    const r = await runCli(['test', 'importd.process_success']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'event importd.process_success (object 911), from the built-in sample of importd.process_success',
      '  -      provisioning-feed: does not take importd.process_success',
      '  -      rate-import-failed: does not take importd.process_success',
      '  skip   big-rate-increase: condition is false',
      '           when: data.rates.increased > 50 is false (data.rates.increased = 14)',
      '  -      balance-zero: does not take importd.process_success',
      '  -      balance-recovered: does not take importd.process_success',
      'no rule takes this event: nothing would be sent',
      '',
    ]);
  });

  it('takes a folder of payloads; --json gives one result per payload', async () => {
    const r = await runCli(['test', 'test/fixtures/events', '--json']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ source: string; ok: boolean; eventId: string; rules: Array<{ name: string; status: string }>; deliveries: Array<{ destination: string }> }>;
    expect(results).toHaveLength(22);
    const failed = results.find((x) => x.source === 'test/fixtures/events/importd.process_failed.json')!;
    expect(failed).toMatchObject({ ok: true, eventId: 'importd.process_failed', deliveries: [{ destination: 'rate_desk', rule: 'rate-import-failed', type: 'slack' }] });
    expect(failed.rules.map((x) => `${x.name} ${x.status}`)).toEqual([
      'provisioning-feed not_taken',
      'rate-import-failed matched',
      'big-rate-increase not_taken',
      'balance-zero not_taken',
      'balance-recovered not_taken',
    ]);
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

  it('--cases: exit 0 when every case passes, 1 on a mismatch', async () => {
    const [pass, fail] = await Promise.all([runCli(['test', '--cases', 'rules.test.yaml']), runCli(['test', '--cases', 'test/fixtures/cases/failing.test.yaml'])]);
    expect([pass.code, pass.stdout.trim().split('\n').at(-1)]).toEqual([0, '8 cases: 8 passed, 0 failed']);
    expect([fail.code, fail.stdout.trim().split('\n').at(-1)]).toEqual([1, '3 cases: 1 passed, 2 failed']);
  });
});

describe('switchboard explain', () => {
  it("says so when a repeat's original has been pruned since, instead of naming an event it cannot find", async () => {
    const HOUR = 3_600_000;
    const { dir, store } = tempStore();
    try {
      const payload = { event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.balance_zero', object_id: 7 }, data: {} };
      const first = newEvent({ payload, receivedAt: Date.now() - 30 * HOUR });
      await commit(store, [first], 48 * HOUR);
      const [due] = await store.due('d', Date.now(), 10, new Set());
      await store.record([{ deliveryId: due!.id, at: Date.now(), ok: true, detail: 'sent', status: 'delivered' }]);
      const repeat = newEvent({ payload });
      expect(await commit(store, [repeat], 48 * HOUR)).toEqual([{ duplicateOf: first.id }]);
      // The CLI reads the file while this connection holds it open, as it does beside a running server.
      const kept = await runCli(['explain', repeat.id], { DATA_DIR: dir });
      expect(kept.stdout).toContain(`  duplicate of ${first.id}: acknowledged, not delivered again`);

      expect(await store.prune(Date.now() - HOUR)).toBe(1);
      const pruned = await runCli(['explain', repeat.id], { DATA_DIR: dir });
      expect(pruned.code).toBe(0);
      expect(pruned.stdout).toContain(`  duplicate of ${first.id} (pruned since, after the retention period): acknowledged, not delivered again`);
    } finally {
      await store.close();
    }
  });
});

describe('counts in command output', () => {
  it('say "1 rule", "1 destination" and "1 dead delivery", not "1 rules"', async () => {
    const { dir, store } = tempStore();
    try {
      const rules = join(dir, 'one.yaml');
      writeFileSync(rules, 'destinations:\n  desk: { type: webhook, url: "http://127.0.0.1:9/hook" }\nrules:\n  - { name: all, events: "*", to: desk }\n');
      expect((await runCli(['check', rules])).stdout).toContain(': OK (1 rule, 1 destination)');

      const e = newEvent({ destinations: ['d'] });
      await commit(store, [e], 0);
      const [due] = await store.due('d', Date.now(), 10, new Set());
      await store.record([{ deliveryId: due!.id, at: Date.now(), ok: false, detail: 'HTTP 404', status: 'dead' }]);
      expect(await runCli(['replay', '--dead'], { DATA_DIR: dir })).toMatchObject({ code: 0, stdout: 'queued 1 dead delivery again\n' });
    } finally {
      await store.close();
    }
  });
});
