import { mkdirSync } from 'node:fs';
import { sqliteStore, type SqliteOptions, type SqliteStore } from '../queue/drivers/sqlite.ts';
import { readMigrations } from './migrations.ts';
import type { NodeSettings } from './settings.ts';
import type { WriteLock } from './write-lock.ts';

/** How a connection shares the file with the server's other thread. */
export interface SharedFile {
  writeLock: WriteLock;
  checkpoints: NonNullable<SqliteOptions['checkpoints']>;
}

/** The SQLite store under DATA_DIR, creating the folder on first use. */
export function openStore(settings: Pick<NodeSettings, 'dataDir' | 'dbFile' | 'fsync'>, shared?: SharedFile): SqliteStore {
  mkdirSync(settings.dataDir, { recursive: true });
  return sqliteStore(settings.dbFile, { fsync: settings.fsync, migrations: readMigrations(), ...shared });
}
