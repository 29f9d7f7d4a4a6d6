import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startHttpServer } from '../support/http-server.ts';
import { startServer, tempDataDir, type ServerProcess } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { waitFor } from '../support/wait.ts';

const RULES = `
destinations:
  sink: { type: webhook, url: "\${SINK_URL}" }
rules:
  - { name: everything, events: "*", to: sink }
`;

const payload = (objectId: number) => JSON.stringify({ event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.balance_zero', object_id: objectId }, data: {} });
const post = (server: ServerProcess, objectId: number) => fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: payload(objectId) });
const objectIds = (bodies: readonly { body: string }[]) => bodies.map((r) => (JSON.parse(r.body) as { event: { object_id: number } }).event.object_id);

type Sink = Awaited<ReturnType<typeof startHttpServer>>;

interface Setup {
  server: ServerProcess;
  sink: Sink;
  /** Another program (a backup tool, a stray sqlite3 shell) takes the database's write lock. */
  lock(): Database.Database;
  /** Runs when the sink receives a request, before it answers. */
  onDelivery(fn: () => void): void;
}

/** The real server with a webhook sink for every event; everything is stopped afterwards. */
async function withServer(test: (setup: Setup) => Promise<void>): Promise<void> {
  let onDelivery = () => {};
  const sink = await startHttpServer(() => {
    onDelivery();
    return { status: 204 };
  });
  const rulesFile = join(tempDir('switchboard-rules-'), 'rules.yaml');
  writeFileSync(rulesFile, RULES);
  let server: ServerProcess | undefined;
  const blockers: Database.Database[] = [];
  try {
    server = await startServer({ DATA_DIR: tempDataDir(), RULES_FILE: rulesFile, SINK_URL: `${sink.url}/sink` });
    const file = join(server.dataDir, 'switchboard.db');
    const lock = () => {
      const blocker = new Database(file, { timeout: 5_000 }); // waits out a write of the server's
      blockers.push(blocker);
      blocker.exec('BEGIN IMMEDIATE');
      return blocker;
    };
    await test({ server, sink, lock, onDelivery: (fn) => (onDelivery = fn) });
  } finally {
    for (const b of blockers) b.close();
    await server?.stop();
    await sink.close();
  }
}

it('answers 503 and acknowledges nothing while the database cannot be written, then takes the same event once it can; a delivery whose result could not be recorded meanwhile is not sent again', { timeout: 60_000 }, () =>
  withServer(async ({ server, sink, lock, onDelivery }) => {
    // Held past SQLite's wait, from the moment the first event reaches the sink: its result cannot
    // be recorded either.
    let blocker: Database.Database | undefined;
    onDelivery(() => (blocker ??= lock()));
    expect((await post(server, 1)).status).toBe(200);
    await waitFor('the first event delivered', () => sink.requests.length === 1);
    const refused = await post(server, 2);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ ok: false, error: 'the event could not be stored; nothing was acknowledged' });
    const said = /ERROR could not accept an event; VCS will show this call as failed events_id=clients\.balance_zero error="database is locked"/;
    await waitFor('the server to log why', () => said.test(server.output()));
    await waitFor('the result not recorded', () => server.output().includes('could not record delivery results; trying again shortly'));
    blocker!.exec('ROLLBACK');

    // Sent again (as an operator would, from VCS's Execution Logs), it is stored and delivered: the
    // refused attempt left no trace that would make it a repeat.
    const accepted = await post(server, 2);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).not.toHaveProperty('duplicate');
    await waitFor('the second event delivered', () => sink.requests.length === 2);
    // The first event's result was recorded once the lock was gone, and it was not sent again.
    const reader = new Database(join(server.dataDir, 'switchboard.db'), { readonly: true });
    try {
      const statuses = () => reader.prepare('SELECT status FROM deliveries ORDER BY id').pluck().all();
      await waitFor('both results recorded', () => statuses().join() === 'delivered,delivered');
    } finally {
      reader.close();
    }
    expect(objectIds(sink.requests)).toEqual([1, 2]);
  }));

it('waits while another program holds the write lock for less than SQLite’s wait, also for the first event after a start', { timeout: 60_000 }, () =>
  withServer(async ({ server, sink, lock }) => {
    const blocker = lock();
    let locked = true;
    const answer = post(server, 1).then(async (r) => ({ status: r.status, body: await r.json(), answeredWhileLocked: locked }));
    // Held for a second, or until an answer comes back: one that comes back meanwhile did not wait.
    await Promise.race([answer, new Promise((r) => setTimeout(r, 1_000))]);
    locked = false;
    blocker.exec('ROLLBACK');
    expect(await answer).toMatchObject({ status: 200, body: { ok: true }, answeredWhileLocked: false });
    await waitFor('the event delivered', () => sink.requests.length === 1);
  }));
