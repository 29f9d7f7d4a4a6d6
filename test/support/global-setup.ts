import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode } from '../../scripts/build-node.ts';

/**
 * Once before the tests: the bundle `npm start` runs, which the tests start as a user would, and
 * the folder every test's files go in (test/support/temp.ts), removed once the tests end.
 */
export default async function setup(): Promise<() => void> {
  await buildNode();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-tests-'));
  process.env.SWITCHBOARD_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
