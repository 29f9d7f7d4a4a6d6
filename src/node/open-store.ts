import { mkdirSync } from 'node:fs';
import { sqliteStore } from '../queue/drivers/sqlite.ts';
import type { Store } from '../queue/store.ts';
import { readMigrations } from './migrations.ts';
import type { NodeSettings } from './settings.ts';
import type { WriteLock } from './write-lock.ts';

/** The SQLite store under DATA_DIR, creating the folder on first use. */
export function openStore(settings: Pick<NodeSettings, 'dataDir' | 'dbFile' | 'fsync'>, writeLock?: WriteLock): Store {
  mkdirSync(settings.dataDir, { recursive: true });
  return sqliteStore(settings.dbFile, { fsync: settings.fsync, migrations: readMigrations(), ...(writeLock ? { writeLock } : {}) });
}
