import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh folder, inside the one a test run removes when it ends (global-setup.ts); elsewhere (the
 * benchmark) in the system's temporary folder.
 */
export const tempDir = (prefix: string): string => mkdtempSync(join(process.env.SWITCHBOARD_TEST_TMP ?? tmpdir(), prefix));
