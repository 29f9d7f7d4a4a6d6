import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Migration } from '../queue/drivers/sqlite.ts';

/** The project's migrations/ folder, above this module: src/node/ when run from source, dist/ when bundled. */
function migrationsDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'migrations', '0001_outbox.sql'))) return join(dir, 'migrations');
    if (dirname(dir) === dir) throw new Error('the migrations/ folder is missing from this installation');
  }
}

const DIR = migrationsDir() + '/';

/** The schema's migrations, from the folder wrangler applies to D1: one schema for both runtimes. */
export function readMigrations(): Migration[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(DIR + name, 'utf8') }));
}
