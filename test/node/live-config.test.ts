import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { samplePayload } from '../../src/events/samples.ts';
import { createLogger } from '../../src/log.ts';
import { LiveConfig } from '../../src/node/live-config.ts';
import { tempDataDir } from '../support/server-process.ts';
import { waitFor } from '../support/wait.ts';

const RULES = (body: string, url = 'http://127.0.0.1:9/a') => `
destinations:
  hook: { type: webhook, url: "${url}" }
  desk: { type: slack, channel: "#desk" }
rules:
  - name: client-changed
    events: clients.update
    to: hook
    template: { webhook: { body: { file: templates/body.hbs } } }
  - name: ${body}
    events: clients.delete
    to: desk
`;

/** A rules file and its template in a fresh folder, and a LiveConfig on them with its log lines. */
function setUp(env: Record<string, string> = { SLACK_BOT_TOKEN: 'xoxb-test' }) {
  const dir = tempDataDir();
  mkdirSync(join(dir, 'templates'));
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  write('rules.yaml', RULES('client-deleted'));
  write('templates/body.hbs', '{"v": 1, "id": {{event.object_id}} }');
  const lines: string[] = [];
  const live = LiveConfig.start(join(dir, 'rules.yaml'), { env, log: createLogger((l) => lines.push(l)), debounceMs: 50 });
  if ('errors' in live) throw new Error(live.errors.join('\n'));
  opened.push(live);
  return { dir, write, live, lines };
}

const opened: LiveConfig[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
});

/** The webhook body the configuration renders for a clients.update. */
function body(live: LiveConfig): unknown {
  const plan = live.current.planner.plan({ eventId: 'clients.update', envelope: samplePayload('clients.update')! });
  return (plan.deliveries[0]?.message as { body: unknown }).body;
}

describe('LiveConfig', () => {
  it('does nothing while the files are as they were', () => {
    const { live } = setUp();
    const before = live.current;
    expect(live.reload()).toBe('unchanged');
    expect(live.current).toBe(before);
  });

  it('applies a changed template; destinations whose settings did not change keep their connections', () => {
    const { live, write, lines } = setUp();
    const before = live.current;
    write('templates/body.hbs', '{"v": 2, "id": {{event.object_id}} }');
    expect(live.reload()).toBe('applied');
    expect(body(live)).toEqual({ v: 2, id: 12 });
    expect(live.current.version).not.toBe(before.version);
    expect(live.current.connections.get('hook')).toBe(before.connections.get('hook'));
    expect(lines.at(-1)).toMatch(new RegExp(`INFO configuration reloaded: 2 rules and 2 destinations version=${live.current.version} previous=${before.version}$`));
  });

  it('a destination whose settings changed gets a new connection', () => {
    const { live, write } = setUp();
    const before = live.current;
    write('rules.yaml', RULES('client-deleted', 'http://127.0.0.1:9/b'));
    expect(live.reload()).toBe('applied');
    expect(live.current.connections.get('hook')).not.toBe(before.connections.get('hook'));
    expect(live.current.connections.get('desk')).toBe(before.connections.get('desk'));
  });

  it('refuses an invalid change, logs its errors, keeps running the last good configuration, and reports it until fixed', () => {
    const { live, write, lines } = setUp();
    const good = live.current;
    write('rules.yaml', RULES('client-deleted').replace('events: clients.delete', 'events: clients.delet'));
    expect(live.reload()).toBe('refused');
    expect(live.current).toBe(good);
    expect(body(live)).toEqual({ v: 1, id: 12 });
    const error = 'rules.yaml:11:13: rules[1].events: unknown event id "clients.delet" (did you mean "clients.delete"?); newer VCS events can be listed under extra_events';
    expect(lines.at(-2)).toMatch(/ ERROR reload refused: \S*rules\.yaml has 1 error\(s\); the previous rules and templates stay in force version=\w+ refused=\w+$/);
    expect(lines.at(-1)).toMatch(/ ERROR not applied: .*rules\.yaml:11:13: /);
    expect(lines.at(-1)!.endsWith(error)).toBe(true);
    const health = live.health().config as { version: string; reload_error: { errors: string[]; version: string } };
    expect(health.version).toBe(good.version);
    expect(health.reload_error.errors).toHaveLength(1);
    expect(health.reload_error.errors[0]!.endsWith(error)).toBe(true);
    // Looked at again without a change: not loaded, not logged again.
    const logged = lines.length;
    expect(live.reload()).toBe('unchanged');
    expect(lines).toHaveLength(logged);

    write('rules.yaml', RULES('client-deleted'));
    write('templates/body.hbs', '{"v": 3}');
    expect(live.reload()).toBe('applied');
    expect((live.health().config as { reload_error: unknown }).reload_error).toBeNull();
    expect(body(live)).toEqual({ v: 3 });
  });

  it('a template file edited so that it does not compile is refused, named with its compile error', () => {
    const { live, write, lines } = setUp();
    const good = live.current;
    write('templates/body.hbs', '{"v": 2, "id": {{#if event.object_id}} }');
    expect(live.reload()).toBe('refused');
    expect(live.current).toBe(good);
    expect(body(live)).toEqual({ v: 1, id: 12 });
    const error = 'templates/body.hbs:1:16: rules[0].template.webhook.body: template does not compile: {{#if event.object_id}} is not closed: expected {{/if}} before the end of the template';
    expect(lines.at(-2)).toMatch(/ ERROR reload refused: \S*templates\/body\.hbs has 1 error\(s\); the previous rules and templates stay in force version=\w+ refused=\w+$/);
    expect(lines.at(-2)).not.toContain('rules.yaml');
    expect(lines.at(-1)).toMatch(/ ERROR not applied: \S*templates\/body\.hbs:1:16: /);
    expect(lines.at(-1)!.endsWith(error)).toBe(true);
    expect((live.health().config as { reload_error: { errors: string[] } }).reload_error.errors[0]!.endsWith(error)).toBe(true);
  });

  it('a template file that goes missing is refused; it coming back is applied', () => {
    const { live, dir } = setUp();
    renameSync(join(dir, 'templates/body.hbs'), join(dir, 'templates/body.hbs.bak'));
    expect(live.reload()).toBe('refused');
    expect((live.health().config as { reload_error: { errors: string[] } }).reload_error.errors[0]).toMatch(/rules\[0\]\.template\.webhook\.body\.file: template file "templates\/body\.hbs" not found$/);
    renameSync(join(dir, 'templates/body.hbs.bak'), join(dir, 'templates/body.hbs'));
    expect(live.reload()).toBe('applied');
  });

  it('refuses a reload that would leave a new destination, or one that had credentials, without any', () => {
    const { live, write, lines } = setUp();
    const good = live.current;
    const expectRefused = (name: string, type: string, missing: string) => {
      expect(live.reload()).toBe('refused');
      expect(live.current).toBe(good);
      const error = `destination "${name}" (${type}) has no credentials (${missing}) and a reload cannot give it any: Switchboard sees only the environment it started with; set the variable and restart it (which loads the changed rules too), or leave this destination as it was`;
      expect(lines.at(-1)).toContain(`ERROR could not apply the changed rules; still running the previous configuration error=`);
      expect((live.health().config as { reload_error: { errors: string[] } }).reload_error.errors).toEqual([error]);
    };
    write('rules.yaml', RULES('client-deleted').replace('destinations:', 'destinations:\n  finance: { type: email, to: finance@example.com }'));
    expectRefused('finance', 'email', 'SMTP_URL is not set');
    write('rules.yaml', RULES('client-deleted').replace('channel: "#desk"', 'channel: "#desk", token_env: DESK_TOKEN'));
    expectRefused('desk', 'slack', 'DESK_TOKEN is not set');
    expect(lines.join('\n')).not.toContain('messages will be logged');
  });

  it('applies a reload that changes a destination that had no credentials at start-up either', () => {
    const { live, write, lines } = setUp({});
    const before = lines.length;
    write('rules.yaml', RULES('client-deleted').replace('#desk', '#rates'));
    expect(live.reload()).toBe('applied');
    expect(lines.slice(before).join('\n')).toContain('WARN destination "desk" (slack) has no credentials: SLACK_BOT_TOKEN is not set; its messages will be logged, not sent');
  });

  it('watches the files: an edit in place, and a file replaced the way editors save', async () => {
    const { live, write, dir } = setUp();
    live.watch();
    const first = live.current.version;
    write('templates/body.hbs', '{"v": 2}');
    await waitFor('the edited template to be applied', () => live.current.version !== first);
    expect(body(live)).toEqual({ v: 2 });
    const second = live.current.version;
    writeFileSync(join(dir, 'rules.yaml.tmp'), RULES('client-gone'));
    renameSync(join(dir, 'rules.yaml.tmp'), join(dir, 'rules.yaml'));
    await waitFor('the replaced rules file to be applied', () => live.current.version !== second);
    expect(live.current.config.rules.map((r) => r.name)).toEqual(['client-changed', 'client-gone']);
  });
});
