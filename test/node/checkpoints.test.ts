import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/node/migrations.ts';
import { sharedWriteLock } from '../../src/node/write-lock.ts';
import { sqliteStore } from '../../src/queue/drivers/sqlite.ts';
import type { Store } from '../../src/queue/store.ts';
import { tempDataDir } from '../support/server-process.ts';
import { runTsxWorker, sourceUrl } from '../support/tsx-worker.ts';

const RESTART_AFTER_FRAMES = 256; // 1 MiB
const BATCHES = 1_500;

/** A thread that accepts BATCHES batches of 50 events into the file as fast as it can, as the intake thread does. */
function startWriter(file: string, lock: SharedArrayBuffer): Promise<void> {
  return runTsxWorker(
    `const [{ sqliteStore }, { readMigrations }, { sharedWriteLock }] = await Promise.all([
      import(${sourceUrl('queue/drivers/sqlite.ts')}), import(${sourceUrl('node/migrations.ts')}), import(${sourceUrl('node/write-lock.ts')})]);
    const store = sqliteStore(workerData.file, { migrations: readMigrations(), writeLock: sharedWriteLock(workerData.lock), checkpoints: 'elsewhere' });
    const padding = 'x'.repeat(500);
    for (let b = 0; b < ${BATCHES}; b++) {
      const events = Array.from({ length: 50 }, (_, i) => {
        const raw = JSON.stringify({ event: { dt: '2026-11-27 10:00:00', events_id: 'clients.update', object_id: b * 50 + i }, data: { padding } });
        return { id: 'e' + (b * 50 + i), eventId: 'clients.update', objectId: String(b * 50 + i), receivedAt: Date.now(), raw, canonical: raw, fingerprint: 'f' + (b * 50 + i) };
      });
      await store.accept(events, 0);
    }
    await store.close();
    parentPort.postMessage('done');`,
    { file, lock },
  );
}

describe('checkpoints on a timer, while another thread writes without pause', () => {
  let store: Store | undefined;
  afterEach(async () => store?.close());

  it('keep the WAL near the length at which it starts over', async () => {
    const file = join(tempDataDir(), 'switchboard.db');
    const lock = sharedWriteLock();
    store = sqliteStore(file, { migrations: readMigrations(), writeLock: lock, checkpoints: { everyMs: 5, restartAfterFrames: RESTART_AFTER_FRAMES } });
    let longest = 0;
    const sample = setInterval(() => (longest = Math.max(longest, statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0)), 1);
    await startWriter(file, lock.buffer);
    clearInterval(sample);
    // The writer wrote far more than that: 75,000 events of 600 bytes, in 1,500 commits; without
    // the checkpoint that makes the WAL start over it grew to 132 MB. The bound leaves room for a
    // timer that fires late while other tests keep both cores busy (4.8 MB was seen in CI).
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThan(32 * RESTART_AFTER_FRAMES * 4096);
  }, 60_000);
});
