import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_BUNDLE } from '../../scripts/build-node.ts';
import { tempDir } from './temp.ts';
import { waitFor, waitForAsync } from './wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The environment and flags `npm start` gives node (package.json), so that tests and the benchmark
 * run the server as users do.
 */
const START = (() => {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const run = /((?:\w+=\S+ )*)(?:exec )?node ((?:--\S+ )*)dist\/switchboard\.mjs/.exec(start);
  if (!run) throw new Error(`package.json's start script no longer runs dist/switchboard.mjs: ${start}`);
  const env = Object.fromEntries(run[1]!.split(' ').filter(Boolean).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  return { env, flags: run[2]!.split(' ').filter(Boolean) };
})();

/** A fresh, empty data folder for one server's SQLite file. */
export const tempDataDir = () => tempDir('switchboard-test-');

export interface ServerProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Node flags added to the start script's, for profiling the server under the benchmark
 * (`BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench`; node refuses --cpu-prof
 * in NODE_OPTIONS).
 */
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/**
 * Starts `switchboard serve` as `npm start` does (`<its environment> node <its flags>
 * dist/switchboard.mjs serve`, built by the tests' global setup) on 127.0.0.1 with a free port, and
 * resolves once it logs that it listens (with SWITCHBOARD_LOG_LEVEL warn or error, which hide that
 * line, on the PORT given, once it answers).
 */
export async function startServer(env: Record<string, string>, args: string[] = ['serve']): Promise<ServerProcess> {
  // Below info the line that says where it listens is not written: the caller chose the port, and
  // the health check answering says it listens.
  const quiet = env.SWITCHBOARD_LOG_LEVEL === 'warn' || env.SWITCHBOARD_LOG_LEVEL === 'error';
  if (quiet && !Number(env.PORT)) throw new Error(`a server started with SWITCHBOARD_LOG_LEVEL=${env.SWITCHBOARD_LOG_LEVEL} does not say its port: give it a PORT`);
  const dataDir = env.DATA_DIR ?? tempDataDir();
  const child = spawn(process.execPath, [...START.flags, ...EXTRA_FLAGS, NODE_BUNDLE, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...START.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const running = () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
  };
  const listening = quiet
    ? waitForAsync('the server to answer its health check', async () => {
        running();
        return fetch(`http://127.0.0.1:${env.PORT}/healthz`).then((r) => r.ok && env.PORT, () => undefined);
      }, 20_000)
    : waitFor('the server to listen', () => {
        running();
        return out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
      }, 20_000);
  const port = await listening.catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}; its output:\n${out}`);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a switchboard command to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/switchboard.js', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  return { code, stdout, stderr };
}
