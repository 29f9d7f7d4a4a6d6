import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttpPost } from '../../src/node/http-post.ts';
import { startIntakeWorker, type IntakeWorker } from '../../src/node/intake-worker.ts';
import { readSettings } from '../../src/node/settings.ts';
import { sharedWriteLock } from '../../src/node/write-lock.ts';
import { tempDataDir } from '../support/server-process.ts';
import { waitFor } from '../support/wait.ts';

const EVENTS = 20;
const fixture = readFileSync(new URL('../fixtures/events/clients.balance_zero.json', import.meta.url), 'utf8');

/**
 * A thread that posts EVENTS events one after the other (each its own commit), then wakes the main
 * thread, which has been blocked all along: the intake's messages wait for it meanwhile.
 */
function postWhileMainWaits(url: string): void {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const { workerData } = require('node:worker_threads');
    (async () => {
      for (let i = 0; i < ${EVENTS}; i++) {
        const body = workerData.fixture.replace(/"object_id":\\s*("[^"]*"|\\d+)/, '"object_id": ' + (1000 + i));
        const r = await fetch(workerData.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (r.status !== 200) throw new Error('answered ' + r.status);
      }
    })().finally(() => { Atomics.store(workerData.done, 0, 1); Atomics.notify(workerData.done, 0); });`;
  new Worker(code, { eval: true, workerData: { url, fixture, done } });
  while (Atomics.load(done, 0) === 0) Atomics.wait(done, 0, 0, 30_000);
}

/** A request with any method (fetch refuses TRACE), on Node's client as the server sends webhooks. */
async function send(url: string, method: string): Promise<{ status: number; body: unknown }> {
  const { status, text } = await nodeHttpPost({ url, method, headers: {}, body: '', timeoutMs: 5_000 });
  return { status, body: JSON.parse(text) };
}

describe('the HTTP intake thread, seen from the main thread', () => {
  let intake: IntakeWorker | undefined;
  afterEach(async () => intake?.stop());

  async function start(control: Pick<Hono, 'fetch'>, committed: () => void = () => {}): Promise<IntakeWorker> {
    // The thread writes its lines to stdout itself: a line per event received would fill the test's output.
    const settings = readSettings({ DATA_DIR: tempDataDir(), HOST: '127.0.0.1', PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn' });
    if (!settings.ok) throw new Error(settings.errors.join('; '));
    intake = await startIntakeWorker({
      data: { settings: settings.value, allowCidrs: '', echo: false, writeLock: sharedWriteLock().buffer },
      control: control as Hono,
      committed,
      failed: (e) => {
        throw e;
      },
    });
    return intake;
  }

  it('passes on what is not the hook, and answers what the main thread cannot take', async () => {
    const control = new Hono().get('/healthz', (c) => c.json({ ok: true }));
    const { port } = await start(control);
    expect(await send(`http://127.0.0.1:${port}/healthz`, 'GET')).toEqual({ status: 200, body: { ok: true } });
    // Node's server takes TRACE; a Request for the main thread's app cannot be made of it.
    expect(await send(`http://127.0.0.1:${port}/healthz`, 'TRACE')).toEqual({ status: 405, body: { ok: false, error: expect.stringContaining('TRACE') } });
  });

  it('answers 500, with the reason, when the main thread fails to answer', async () => {
    const { port } = await start({ fetch: () => Promise.reject(new Error('the main thread is gone')) });
    expect(await send(`http://127.0.0.1:${port}/healthz`, 'GET')).toEqual({ status: 500, body: { ok: false, error: 'the main thread is gone' } });
  });

  it('turns a burst of commits waiting for the main thread into one call to route them', async () => {
    let routings = 0;
    const { port } = await start(new Hono(), () => routings++);
    postWhileMainWaits(`http://127.0.0.1:${port}/hooks/vcs`);
    // Each event was committed on its own: 20 messages now wait. Taken one by one, they would
    // start 20 routing steps in a row, and nothing else would run meanwhile.
    await waitFor('the commits to reach the main thread', () => routings > 0);
    expect(routings).toBe(1);
  });
});
