import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDataDir } from '../support/server-process.ts';
import { tempDir } from '../support/temp.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A copy of the project to run `npm start` in: its build writes dist/, which the other tests' servers
 * are started from meanwhile. The folders the build and the server only read are linked; scripts/
 * is copied, because the build writes next to where it lies.
 */
function projectCopy(): string {
  const dir = tempDir('switchboard-project-');
  for (const f of ['package.json', 'rules.yaml']) copyFileSync(join(ROOT, f), join(dir, f));
  for (const d of ['src', 'templates', 'migrations', 'node_modules']) symlinkSync(join(ROOT, d), join(dir, d));
  cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
  return dir;
}

it('`npm start` stops the server when npm is sent SIGTERM, as a service manager does', { timeout: 60_000 }, async () => {
  // Its own process group, so that the cleanup reaches a server npm left behind.
  const npm = spawn('npm', ['start'], {
    cwd: projectCopy(),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATA_DIR: tempDataDir(), SWITCHBOARD_WATCH: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const npmExited = new Promise<void>((done) => npm.on('exit', () => done()));
  try {
    const port = await waitFor('the server to listen', () => out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1], 30_000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    npm.kill('SIGTERM');
    await npmExited;
    // The server's last line: it finished its shutdown rather than being left running without npm.
    await waitFor('the server to say it stopped', () => / INFO stopped\n/.test(out));
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  } finally {
    try {
      process.kill(-npm.pid!, 'SIGKILL');
    } catch {
      // Every process of the group has ended.
    }
  }
});
