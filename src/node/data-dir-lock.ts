import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The file whose lock says that a server runs on a data folder. */
export const SERVE_LOCK_FILE = 'serve.lock';

/**
 * Claims DATA_DIR for this process's `switchboard serve`: two servers on one outbox would each send
 * every pending delivery. The claim is an exclusive SQLite lock on a file of its own (an operating
 * system lock), so the system drops it when the process ends, even by kill -9: no stale claim to
 * clear after a crash, and no process id that another process may have been given since. The
 * operators' commands do not claim the folder; they work beside a running server.
 */
export function claimDataDir(dataDir: string): { ok: true; release: () => void } | { ok: false; error: string } {
  let db: Database.Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, SERVE_LOCK_FILE), { timeout: 0 });
  } catch (e) {
    return { ok: false, error: `cannot use DATA_DIR ${dataDir}: ${(e as Error).message}` };
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
    return { ok: true, release: () => db.close() };
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    return {
      ok: false,
      error: `another switchboard serve is running on ${dataDir} (it holds ${join(dataDir, SERVE_LOCK_FILE)}); stop it first, or give this one a DATA_DIR of its own`,
    };
  }
}
