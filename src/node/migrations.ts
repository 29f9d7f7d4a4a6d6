import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Migration } from '../queue/drivers/sqlite.ts';

const DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** The schema's migrations, from the folder wrangler applies to D1: one schema for both runtimes. */
export function readMigrations(): Migration[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(DIR + name, 'utf8') }));
}
