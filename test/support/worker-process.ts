import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.ts';
import { waitFor } from './wait.ts';
import { freePort } from './ports.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

export interface WorkerProcess {
  url: string;
  /** Runs SQL on the Worker's local D1, as `wrangler d1 execute --local` does. */
  d1(sql: string): Promise<void>;
  output: () => string;
  stop(): Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // Its own process group, so that stopping it also stops workerd, which wrangler starts.
  return spawn(WRANGLER, args, { cwd: ROOT, env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/**
 * The Worker in the real workerd runtime, as `npm run dev:worker` runs it: `wrangler dev` on
 * 127.0.0.1 with local D1 (migrated first) and local queues, in a fresh state folder. `vars` are
 * the Worker's variables and secrets; `rulesFile` is built into it instead of rules.yaml.
 */
export async function startWorker(vars: Record<string, string>, options: { rulesFile?: string } = {}): Promise<WorkerProcess> {
  const state = tempDir('switchboard-worker-');
  const envFile = join(state, 'vars.env');
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n'));

  let out = '';
  const migrate = run(['d1', 'migrations', 'apply', 'switchboard', '--local', '--persist-to', state], {});
  migrate.stdout!.on('data', (d: Buffer) => (out += d));
  migrate.stderr!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((done) => migrate.on('exit', done));
  if (code !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${out}`);

  const port = await freePort();
  const child = run(
    ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, '--env-file', envFile, '--show-interactive-dev-session=false'],
    options.rulesFile ? { RULES_FILE: options.rulesFile } : {},
  );
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  await waitFor('wrangler dev to be ready', () => {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${out}`);
    return /Ready on http/.test(out) || undefined;
  }, 90_000).catch(async (e: Error) => {
    await stop();
    throw new Error(`${e.message}; its output:\n${out}`);
  });
  const d1 = async (sql: string) => {
    const exec = run(['d1', 'execute', 'switchboard', '--local', '--persist-to', state, '--command', sql], {});
    let said = '';
    exec.stdout!.on('data', (d: Buffer) => (said += d));
    exec.stderr!.on('data', (d: Buffer) => (said += d));
    const code = await new Promise<number | null>((done) => exec.on('exit', done));
    if (code !== 0) throw new Error(`wrangler d1 execute failed:\n${said}`);
  };
  return { url: `http://127.0.0.1:${port}`, d1, output: () => out, stop };
}
