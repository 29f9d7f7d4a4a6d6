import { afterAll, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHttpServer } from '../support/http-server.ts';
import { runCli, startServer, tempDataDir, type ServerProcess } from '../support/server-process.ts';
import { startSlackApi } from '../support/slack-api.ts';
import { startSmtp } from '../support/smtp.ts';
import { tempDir } from '../support/temp.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A harder crash test than crash.test.ts: every event goes to a webhook, Slack and e-mail, each of
 * which sometimes fails (a 500, an answer later than the timeout, a 429 with Retry-After, Slack's
 * `ratelimited`, an SMTP 451), and the server is killed six times (while events are posted, just
 * after it starts, while it delivers) and stopped once with SIGTERM. No retention period and no
 * idempotency window: every start prunes all it may, and a payload posted again is a new event.
 */
const TOTAL = 600;
const CONNECTIONS = 16;
const CONCURRENCY = { hook: 16, chat: 1, mail: 4 };
const payload = (n: number) => JSON.stringify({ event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.update', object_id: n }, data: { id: n } });

const running: ServerProcess[] = [];
afterAll(async () => {
  for (const s of running) await s.stop('SIGKILL');
});

it('delivers every acknowledged event to every channel through kills, restarts and failing destinations', async () => {
  type Channel = keyof typeof CONCURRENCY;
  const hookArrived: number[] = [];
  let hookRequests = 0;
  const hook = await startHttpServer(async (req) => {
    const k = ++hookRequests;
    if (k % 11 === 0) return { status: 500 };
    // Answered after the timeout: the sender has given up, and tries again.
    if (k % 29 === 0) return new Promise((r) => setTimeout(() => r({ status: 200 }), 1_500));
    hookArrived.push((JSON.parse(req.body) as { n: number }).n);
    return { status: 200 };
  });
  const slack = await startSlackApi((_post, k) => {
    if (k % 13 === 0) return { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } };
    if (k % 17 === 0) return { body: { ok: false, error: 'ratelimited' } };
    return undefined;
  });
  const smtp = await startSmtp((k) => (k % 9 === 0 ? { code: 451, message: '4.7.1 try again later' } : undefined));
  try {
    const rules = join(tempDir('switchboard-chaos-'), 'rules.yaml');
    writeFileSync(
      rules,
      `destinations:
  hook: { type: webhook, url: "${hook.url}/in", timeout_ms: 500 }
  chat: { type: slack, channel: "#ops", pace_ms: 0 }
  mail: { type: email, to: ops@example.com }
rules:
  - name: all
    events: clients.update
    to: [hook, chat, mail]
    template:
      webhook: { body: '{"n": {{event.object_id}} }' }
      slack: { text: "event {{event.object_id}}" }
      email: { subject: "event {{event.object_id}}", text: "x" }
`,
    );
    const env = {
      RULES_FILE: rules,
      DATA_DIR: tempDataDir(),
      SLACK_BOT_TOKEN: 'x',
      SLACK_API_URL: slack.url,
      SMTP_URL: smtp.url,
      SWITCHBOARD_RETENTION_DAYS: '0',
      SWITCHBOARD_IDEMPOTENCY_HOURS: '0',
    };
    const channels = ['hook', 'chat', 'mail'] as const;
    /** The events each channel received, in the order they arrived, a copy each time. */
    const arrived = (c: Channel): number[] =>
      c === 'hook' ? [...hookArrived] : c === 'chat' ? slack.posts.map((p) => Number(p.text.replace('event ', ''))) : smtp.received.map((m) => Number(String(m.mail.subject).replace('event ', '')));
    const delivered = (c: Channel) => new Set(arrived(c));

    const toPost = Array.from({ length: TOTAL }, (_, i) => i + 1);
    const acked = new Set<number>();
    // Posted, and no answer came (the server died): it may have been stored, and posted again it is
    // a second event (no idempotency window), which may be delivered twice.
    const unanswered = new Set<number>();
    const post = (server: ServerProcess) =>
      Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          for (let n = toPost.shift(); n !== undefined; n = toPost.shift()) {
            try {
              const res = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: payload(n) });
              await res.arrayBuffer();
              if (res.status === 200) acked.add(n);
              else toPost.push(n);
            } catch {
              unanswered.add(n);
              toPost.push(n);
              return;
            }
          }
        }),
      );
    const start = async () => {
      const server = await startServer(env);
      running.push(server);
      return server;
    };
    let kills = 0;
    const kill = async (server: ServerProcess) => {
      kills++;
      await server.stop('SIGKILL');
    };
    /** Starts a server, posts what is left, and kills it once `when` holds. */
    const killWhen = async (when: () => boolean) => {
      const server = await start();
      const posting = post(server);
      await waitFor('the moment to kill the server', when, 60_000);
      await kill(server);
      await posting;
    };

    await killWhen(() => acked.size >= TOTAL / 4); // while posting
    await killWhen(() => true); // just after it starts, posting
    await killWhen(() => acked.size >= (TOTAL * 2) / 3); // while posting
    const hookBefore = delivered('hook').size;
    await killWhen(() => toPost.length === 0 && delivered('hook').size >= Math.min(TOTAL, hookBefore + TOTAL / 5)); // delivering
    await killWhen(() => true); // just after it starts, delivering

    // SIGTERM while delivering: what it sent it recorded, so nothing it sent goes out again.
    const graceful = await start();
    const sizes = () => Object.fromEntries(channels.map((c) => [c, arrived(c).length])) as Record<Channel, number>;
    const atStart = sizes();
    await post(graceful);
    const chatBefore = delivered('chat').size;
    await waitFor('deliveries under way', () => delivered('chat').size >= chatBefore + 20 || delivered('chat').size === TOTAL, 30_000);
    expect(await graceful.stop('SIGTERM')).toBe(0);
    expect(graceful.output()).toContain('stopped');
    const atStop = sizes();

    await killWhen(() => true); // just after it starts again
    const last = await start();
    while (toPost.length > 0) await post(last);
    expect(acked.size).toBe(TOTAL);
    await waitFor('every acknowledged event delivered on every channel', () => channels.every((c) => delivered(c).size === TOTAL), 60_000);
    expect(
      (await Promise.all(['dead', 'pending', 'failed', 'received', 'held'].map((s) => runCli(['events', '--status', s], { DATA_DIR: env.DATA_DIR })))).map((r) => r.stdout.trim()),
    ).toEqual(['no events', 'no events', 'no events', 'no events', 'no events']);

    for (const c of channels) {
      const copies = arrived(c);
      const counts = new Map<number, number>();
      for (const n of copies) counts.set(n, (counts.get(n) ?? 0) + 1);
      const duplicates = [...counts].filter(([, k]) => k > 1).map(([n]) => n);
      console.log(`chaos test, ${c}: ${copies.length} arrivals, ${counts.size} events, ${duplicates.length} duplicates after ${kills} kills; ${unanswered.size} posts unanswered`);
      // A duplicate only for what was in flight at a kill (at most the destination's concurrency
      // each time), or for a payload stored without an answer and posted again.
      expect(duplicates.length, `${c}: duplicates ${duplicates.join(' ')}`).toBeLessThanOrEqual(kills * CONCURRENCY[c] + unanswered.size);
      // What the server stopped with SIGTERM sent, it recorded: none of it goes out again (but a
      // payload posted twice, which is two events).
      const sentByStopped = new Set(copies.slice(atStart[c], atStop[c]));
      const sentAgain = [...new Set(copies.slice(atStop[c]))].filter((n) => sentByStopped.has(n) && !unanswered.has(n));
      expect(sentAgain, `${c}: sent by the server stopped with SIGTERM, and again after it`).toEqual([]);
    }
  } finally {
    await Promise.all([hook.close(), slack.close(), smtp.close()]);
  }
}, 120_000);
