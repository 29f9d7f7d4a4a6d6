import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoreApi } from '../support/coreapi.ts';
import { startHttpServer } from '../support/http-server.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { runCli, startServer, tempDataDir, type ServerProcess } from '../support/server-process.ts';
import { waitFor, waitForAsync } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Rules sending clients.update to a webhook with a body from a template file; `extra` is appended to the rules. */
const rules = (extra = '') => `
destinations:
  hook: { type: webhook, url: "\${HOOK_URL}/hook" }
  other: { type: webhook, url: "\${HOOK_URL}/other" }
rules:
  - name: client-changed
    events: clients.update
    to: hook
    template: { webhook: { body: { file: templates/body.hbs } } }
${extra}`;

interface Health {
  config: { file: string; version: string; loaded_at: string; reload_error: null | { at: string; version: string; errors: string[] } };
}

describe('hot reload: the real server, its rules folder edited while it runs', () => {
  let hook: Awaited<ReturnType<typeof startHttpServer>>;
  let server: ServerProcess;
  let dir: string;
  let objectId = 1000;
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  /** Writes a file the way many editors save: a new file renamed over the old one. */
  const replace = (name: string, text: string) => {
    write(`${name}.swp`, text);
    renameSync(join(dir, `${name}.swp`), join(dir, name));
  };
  const health = async () => (await (await fetch(`${server.url}/healthz`)).json()) as Health;
  const untilHealth = (what: string, check: (h: Health) => boolean) => waitForAsync(what, async () => {
    const h = await health();
    return check(h) ? h : undefined;
  });
  /** Posts a new clients.update and resolves with the request each webhook path received for it. */
  const deliveredFor = async (...paths: string[]) => {
    const id = ++objectId;
    const res = await fetch(`${server.url}/hooks/vcs`, {
      method: 'POST',
      body: JSON.stringify({ event: { dt: '2024-03-01T10:00:00+00:00', events_id: 'clients.update', object_id: id }, data: { id, name: `Client ${id}` } }),
    });
    expect(res.status).toBe(200);
    return waitFor(`client ${id} delivered to ${paths.join(', ')}`, () => {
      const got = paths.map((p) => hook.requests.find((r) => r.url === p && r.body.includes(`${id}`)));
      return got.every(Boolean) ? got.map((r) => JSON.parse(r!.body)) : undefined;
    });
  };

  beforeAll(async () => {
    hook = await startHttpServer(() => ({ status: 204 }));
    dir = tempDataDir();
    mkdirSync(join(dir, 'templates'));
    write('rules.yaml', rules());
    write('templates/body.hbs', '{"v": 1, "id": {{event.object_id}} }');
    server = await startServer({ RULES_FILE: join(dir, 'rules.yaml'), HOOK_URL: hook.url });
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
    await hook?.close();
  });

  it('reports the version `switchboard check` prints for the same files', async () => {
    const h = await health();
    expect(h.config).toMatchObject({ file: join(dir, 'rules.yaml'), reload_error: null });
    const check = await runCli(['check', '--json', relative(ROOT, join(dir, 'rules.yaml'))], { HOOK_URL: hook.url });
    expect(JSON.parse(check.stdout).version).toBe(h.config.version);
    expect(await deliveredFor('/hook')).toEqual([{ v: 1, id: objectId }]);
  });

  it('applies an edited template without a restart', async () => {
    const before = (await health()).config.version;
    write('templates/body.hbs', '{"v": 2, "id": {{event.object_id}} }');
    await untilHealth('the new version', (h) => h.config.version !== before);
    expect(await deliveredFor('/hook')).toEqual([{ v: 2, id: objectId }]);
    await waitFor('the reload in the log', () => /INFO configuration reloaded: 1 rules and 2 destinations version=\w+ previous=\w+/.test(server.output()));
  });

  it('refuses an invalid rules file: errors logged and on /healthz, the last good configuration keeps running', async () => {
    const good = (await health()).config.version;
    replace('rules.yaml', rules('  - name: typo\n    events: clients.updat\n    to: hook\n'));
    const h = await untilHealth('the refused reload', (x) => x.config.reload_error !== null);
    expect(h.config.version).toBe(good);
    const error = 'rules[1].events: unknown event id "clients.updat" (did you mean "clients.update"?); newer VCS events can be listed under extra_events';
    expect(h.config.reload_error!.errors).toEqual([`${relative(ROOT, join(dir, 'rules.yaml'))}:11:13: ${error}`]);
    expect(h.config.reload_error!.version).not.toBe(good);
    // Log lines are written in batches: they may come a moment after /healthz answered.
    await waitFor('the errors in the log', () => server.output().includes(`ERROR not applied: ${h.config.reload_error!.errors[0]}`));
    expect(server.output()).toMatch(/ERROR reload refused: \S*rules\.yaml has 1 error\(s\); the previous rules and templates stay in force version=\w+ refused=\w+/);
    expect(await deliveredFor('/hook')).toEqual([{ v: 2, id: objectId }]);
  });

  it('applies the fixed file, and clears the reload error', async () => {
    replace('rules.yaml', rules('  - name: also-other\n    events: clients.update\n    to: other\n').replace('to: hook', 'to: hook\n    continue: true'));
    const h = await untilHealth('the fixed file applied', (x) => x.config.reload_error === null);
    expect(h.config.loaded_at > new Date(Date.now() - 60_000).toISOString()).toBe(true);
    const [toHook, toOther] = await deliveredFor('/hook', '/other');
    expect(toHook).toEqual({ v: 2, id: objectId });
    expect(toOther).toMatchObject({ rule: 'also-other', event: { object_id: objectId } });
  });

  it('applies a file that switchboard check finds fault with, and logs what check finds', async () => {
    const before = (await health()).config.version;
    replace('rules.yaml', rules('  - { name: created, events: clients.create, to: other, throttle: { key: event.objectid, max: 5, per: 1h } }\n'));
    await untilHealth('the file applied', (h) => h.config.version !== before && h.config.reload_error === null);
    const found = /WARN switchboard check finds: \S*rules\.yaml:\d+:\d+: rules\[1\]\.throttle\.key: unknown path "event\.objectid" \(did you mean "event\.object_id"\?\)/;
    await waitFor('what check finds, in the log', () => found.test(server.output()));
  });
});

it('logs at start what switchboard check finds in the rules it runs', async () => {
  const dir = tempDataDir();
  writeFileSync(join(dir, 'rules.yaml'), rules('  - { name: created, events: clients.create, to: other, throttle: { key: event.objectid, max: 5, per: 1h } }\n'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates/body.hbs'), '{"v": 1}');
  const server = await startServer({ RULES_FILE: join(dir, 'rules.yaml'), HOOK_URL: 'http://127.0.0.1:9' });
  try {
    expect(server.output()).toMatch(/WARN switchboard check finds: \S*rules\.yaml:10:74: rules\[1\]\.throttle\.key: unknown path "event\.objectid"/);
  } finally {
    await server.stop();
  }
});

describe('hot reload on SIGHUP, with watching turned off', () => {
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir();
    writeFileSync(join(dir, 'rules.yaml'), rules());
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates/body.hbs'), '{"v": 1}');
    server = await startServer({ RULES_FILE: join(dir, 'rules.yaml'), HOOK_URL: 'http://127.0.0.1:9', SWITCHBOARD_WATCH: 'off' });
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  it('reloads when told to', async () => {
    const version = async () => ((await (await fetch(`${server.url}/healthz`)).json()) as Health).config.version;
    const before = await version();
    writeFileSync(join(dir, 'templates/body.hbs'), '{"v": 2}');
    server.child.kill('SIGHUP');
    await waitForAsync('the reload after SIGHUP', async () => (await version()) !== before);
    await waitFor('the reload in the log', () => server.output().includes('configuration reloaded'));
    // Watching would have been logged before the reload was.
    expect(server.output()).not.toContain('watching for changes');
  });

  it('refuses to start with a SWITCHBOARD_WATCH it does not understand', async () => {
    const r = await runCli(['serve'], { RULES_FILE: join(dir, 'rules.yaml'), DATA_DIR: tempDataDir(), HOST: '127.0.0.1', PORT: '0', SWITCHBOARD_WATCH: 'flase' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('switchboard: SWITCHBOARD_WATCH must be one of 0, false, no, off, 1, true, yes, on, got "flase"\n');
  });
});

it('makes a queued delivery dead, not sent empty, when a reload changes its destination type', async () => {
  // The webhook fails until the reload, so the delivery is still queued, with a webhook's message.
  const hook = await startHttpServer(() => ({ status: 503 }));
  const slack = await startSlackApi();
  const dir = tempDataDir();
  const file = join(dir, 'rules.yaml');
  const as = (destination: string) => `destinations:\n  out: ${destination}\nrules:\n  - { name: all, events: clients.update, to: out }\n`;
  writeFileSync(file, as(`{ type: webhook, url: "${hook.url}/hook" }`));
  const server = await startServer({ RULES_FILE: file, SLACK_BOT_TOKEN: 'xoxb-reload', SLACK_API_URL: slack.url });
  try {
    const res = await fetch(`${server.url}/hooks/vcs`, {
      method: 'POST',
      body: JSON.stringify({ event: { dt: '2024-03-01T10:00:00+00:00', events_id: 'clients.update', object_id: 7 }, data: { id: 7 } }),
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor('a failed attempt at the webhook', () => hook.requests.length > 0);
    writeFileSync(file, as('{ type: slack, channel: C0REL, pace_ms: 0 }'));
    const explained = await waitForAsync('the delivery dead', async () => {
      const e = JSON.parse((await runCli(['explain', id, '--json'], { DATA_DIR: server.dataDir })).stdout) as { status: string; deliveryDetails: Array<{ lastError?: string }> };
      return e.status === 'dead' ? e : undefined;
    });
    expect(explained.deliveryDetails[0]!.lastError).toBe('destination "out" is now of type slack, and this message was made for webhook; give it back type webhook and replay, or purge it');
    expect(slack.attempts).toEqual([]);
  } finally {
    await server.stop();
    await Promise.all([hook.close(), slack.close()]);
  }
});

it('goes on watching a rules folder that was swapped for another, removed and made again, or reached through a symlink that now points elsewhere', async () => {
  const dir = tempDataDir();
  const rulesOf = (n: number) =>
    `destinations:\n  out: { type: webhook, url: "http://127.0.0.1:9/out" }\nrules:\n` +
    Array.from({ length: n }, (_, i) => `  - { name: r${i}, events: clients.update, to: out, continue: true }\n`).join('');
  const release = (name: string, n: number) => {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'rules.yaml'), rulesOf(n));
  };
  // Deployed as releases behind a symlink, the way many deploy tools do.
  release('r1', 1);
  symlinkSync(join(dir, 'r1'), join(dir, 'current'));
  const server = await startServer({ RULES_FILE: join(dir, 'current', 'rules.yaml') });
  const rulesRunning = (n: number, after: string) =>
    waitForAsync(`${n} rules running after ${after}`, async () => ((await (await fetch(`${server.url}/healthz`)).json()) as { rules: number }).rules === n);
  /** The folder change is taken up, and so is a later edit of the file in the folder now there. */
  const takenUp = async (folder: string, rules: number, change: string) => {
    await rulesRunning(rules, change);
    writeFileSync(join(dir, folder, 'rules.yaml'), rulesOf(rules + 1));
    await rulesRunning(rules + 1, `an edit after ${change}`);
  };
  try {
    release('r2', 2);
    symlinkSync(join(dir, 'r2'), join(dir, 'current.new'));
    renameSync(join(dir, 'current.new'), join(dir, 'current'));
    await takenUp('r2', 2, 'the symlink was swapped');

    // The folder renamed away and another renamed in its place.
    release('r3', 4);
    renameSync(join(dir, 'r2'), join(dir, 'r2.old'));
    renameSync(join(dir, 'r3'), join(dir, 'r2'));
    await takenUp('r2', 4, 'the folder was swapped');

    // Removed, then made again once the refusal of the missing file was logged.
    rmSync(join(dir, 'r2'), { recursive: true });
    await waitFor('the missing file refused', () => server.output().includes('file not found'));
    release('r2', 6);
    await takenUp('r2', 6, 'the folder was made again');
  } finally {
    await server.stop();
  }
});

it('routes an event waiting for the CoreAPI during a reload by one configuration: every message from the rules it was planned by', async () => {
  const hook = await startHttpServer(() => ({ status: 204 }));
  const api = await startCoreApi('key-reload');
  api.objects.set('clients.get:12', { id: 12, name: 'ACME Telecom', balance: 0 });
  api.behaviour.set('clients.get:12', 'slow');
  const dir = tempDataDir();
  const file = join(dir, 'rules.yaml');
  // The incident gives the balance message context decided when the routing is recorded, after
  // the CoreAPI answered: the message is rendered again then.
  const as = (gen: string) => `
destinations:
  hook: { type: webhook, url: "${hook.url}/hook" }
incidents:
  balance: { opens: clients.balance_zero, closes: clients.balance_notzero }
rules:
  - { name: audit, events: "*", to: hook, continue: true, template: { webhook: { body: '{"gen": "${gen}", "rule": "audit"}' } } }
  - name: zero
    events: clients.balance_zero
    enrich: [client]
    incident: balance
    to: hook
    template: { webhook: { body: '{"gen": "${gen}", "rule": "zero", "client": "{{client.name}}"}' } }
`;
  writeFileSync(file, as('G1'));
  const server = await startServer({ RULES_FILE: file, VCS_API_URL: api.url, VCS_API_KEY: 'key-reload', VCS_API_TIMEOUT_MS: '20000' });
  const version = async () => ((await (await fetch(`${server.url}/healthz`)).json()) as Health).config.version;
  try {
    const before = await version();
    const res = await fetch(`${server.url}/hooks/vcs`, {
      method: 'POST',
      body: JSON.stringify({ event: { dt: '2024-03-01T10:00:00+00:00', events_id: 'clients.balance_zero', object_id: 12 }, data: {} }),
    });
    expect(res.status).toBe(200);
    await waitFor('the CoreAPI call held', () => api.held() === 1);
    writeFileSync(file, as('G2'));
    await waitForAsync('the reload', async () => (await version()) !== before);
    api.release();
    const bodies = await waitFor('both messages', () => (hook.requests.length === 2 ? hook.requests.map((r) => JSON.parse(r.body) as Record<string, string>) : undefined));
    expect(bodies.sort((a, b) => a.rule!.localeCompare(b.rule!))).toEqual([
      { gen: 'G1', rule: 'audit' },
      { gen: 'G1', rule: 'zero', client: 'ACME Telecom' },
    ]);
  } finally {
    await server.stop();
    await Promise.all([hook.close(), api.close()]);
  }
});
