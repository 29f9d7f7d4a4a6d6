import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/node/open-store.ts';
import type { SqliteStore } from '../../src/queue/drivers/sqlite.ts';
import { tempDataDir } from '../support/server-process.ts';

describe('the SQLite file under DATA_DIR', () => {
  let store: SqliteStore | undefined;
  afterEach(async () => store?.close());

  const open = (fsync: boolean) => {
    const dataDir = join(tempDataDir(), 'data');
    store = openStore({ dataDir, dbFile: join(dataDir, 'switchboard.db'), fsync });
    return store;
  };

  it('waits for the disk at every commit with SWITCHBOARD_FSYNC=1 (synchronous=FULL, read back from SQLite)', () => {
    expect(open(true).synchronous).toBe('FULL');
  });

  it('writes commits to the WAL without waiting for the disk otherwise (synchronous=NORMAL)', () => {
    expect(open(false).synchronous).toBe('NORMAL');
  });
});
