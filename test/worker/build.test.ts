import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INVALID = 'test/fixtures/rules/two-mistakes.yaml';

/** `wrangler deploy --dry-run`: the build and the bundling of a real deploy, without the upload. */
async function dryRunDeploy(rulesFile: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', tempDir('switchboard-deploy-')], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', RULES_FILE: rulesFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  return { code, output };
}

describe('wrangler deploy', () => {
  it('fails on an invalid rules.yaml with the errors `switchboard check` prints', async () => {
    const [deploy, check] = await Promise.all([dryRunDeploy(INVALID), runCli(['check', INVALID])]);
    expect(check.code).toBe(1);
    expect(deploy.code).not.toBe(0);
    const errors = check.stderr.trim().split('\n');
    expect(errors).toHaveLength(3);
    for (const line of errors) expect(deploy.output).toContain(line);
    expect(deploy.output).toContain(`switchboard: not building the Worker until ${INVALID} is valid`);
  }, 60_000);
});
