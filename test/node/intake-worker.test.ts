import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
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

describe('the HTTP intake thread, seen from the main thread', () => {
  let intake: IntakeWorker | undefined;
  afterEach(async () => intake?.stop());

  it('turns a burst of commits waiting for the main thread into one call to route them', async () => {
    const settings = readSettings({ DATA_DIR: tempDataDir(), HOST: '127.0.0.1', PORT: '0' });
    if (!settings.ok) throw new Error(settings.errors.join('; '));
    let routings = 0;
    intake = await startIntakeWorker({
      data: { settings: settings.value, allowCidrs: '', echo: false, writeLock: sharedWriteLock().buffer },
      control: new Hono(),
      committed: () => routings++,
      failed: (e) => {
        throw e;
      },
    });
    postWhileMainWaits(`http://127.0.0.1:${intake.port}/hooks/vcs`);
    // Each event was committed on its own: 20 messages now wait. Taken one by one, they would
    // start 20 routing steps in a row, and nothing else would run meanwhile.
    await waitFor('the commits to reach the main thread', () => routings > 0);
    expect(routings).toBe(1);
  });
});
