/**
 * HTTP ingest and end-to-end delivery of the real server process, against a bare Hono endpoint
 * measured in the same round, over several rounds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer } from '../test/support/http-server.ts';
import { startServer, tempDataDir, type ServerProcess } from '../test/support/server-process.ts';
import { waitFor } from '../test/support/wait.ts';
import { canSampleCpu, describeCpu, sampleCpu } from './cpu.ts';
import { haveWrk, wrk, writePostScript, type WrkResult } from './wrk.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
// Each round measures the baseline and then Switchboard; the summary takes the median of the
// rounds' ratios, because a shared machine's speed drifts from one minute to the next.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = [1, 16, 64];
// `BENCH_ONLY=end-to-end` (or `ingest`) runs one kind of measurement, with its baseline: for
// profiling one thing at a time.
const ONLY = process.env.BENCH_ONLY;
if (ONLY && ONLY !== 'ingest' && ONLY !== 'end-to-end') throw new Error(`BENCH_ONLY is "${ONLY}": expected ingest or end-to-end`);
// Every server, the bare one too, takes this long of load before it is measured, as a server that
// has been running is: Switchboard's first seconds under load are slower while V8 optimises its
// code (about 480 functions in the first ten seconds at 16 connections, 30 in the next ten).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);

/** Ratios to the baseline of the same round, by what was measured. */
type Ratios = Map<string, number>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function startBare(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bare-server.ts')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  const url = await waitFor('the bare server', () => out.match(/listening on (http:\/\/\S+)/)?.[1]);
  return { url, stop: () => child.kill() };
}

/** Peak resident memory of a process, from Linux's /proc, printed and returned. */
function peakRssMiB(pid: number): number {
  const mib = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)?.[1]) / 1024;
  console.log(`  peak RSS ${mib.toFixed(0)} MiB`);
  return mib;
}

const fmt = (r: WrkResult) => `${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms`;

async function ingest(script: string, baseline: Map<number, WrkResult>, label: string, env: Record<string, string>, ratios: Ratios, key: string): Promise<number> {
  const server = await startServer({ DATA_DIR: tempDataDir(), ...env });
  console.log(`\n${label}`);
  try {
    await wrk(`${server.url}/`, 16, WARMUP_SECONDS, script);
    for (const c of CONNECTIONS) {
      const r = await wrk(`${server.url}/`, c, SECONDS, script);
      const b = baseline.get(c)!;
      console.log(`  ${String(c).padStart(2)} connections: ${fmt(r)}   = ${(r.rps / b.rps).toFixed(2)}× bare throughput, p99 ${(r.p99Ms / b.p99Ms).toFixed(1)}× bare`);
      ratios.set(`${key}, ${c} connections: throughput`, r.rps / b.rps);
      ratios.set(`${key}, ${c} connections: p99`, r.p99Ms / b.p99Ms);
    }
    return peakRssMiB(server.child.pid!);
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

async function endToEnd(script: string, bare64: WrkResult, ratios: Ratios): Promise<number> {
  const sink = await startHttpServer(() => ({ status: 204 }));
  let server: ServerProcess | undefined;
  try {
    server = await startServer({ DATA_DIR: tempDataDir(), RULES_FILE: 'bench/rules.yaml', BENCH_SINK_URL: `${sink.url}/sink` });
    const warm = await wrk(`${server.url}/`, 64, WARMUP_SECONDS, script);
    await waitFor('every warm-up event delivered to the sink', () => sink.requests.length >= warm.requests, 300_000);
    const before = sink.requests.length;
    const delivered = () => sink.requests.length - before;
    const cpuBefore = canSampleCpu() ? sampleCpu(server.child.pid!) : undefined;
    const started = Date.now();
    const posted = await wrk(`${server.url}/`, 64, SECONDS, script);
    await waitFor('every event delivered to the sink', () => delivered() >= posted.requests, 300_000);
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuBefore && describeCpu(cpuBefore, sampleCpu(server.child.pid!), delivered(), seconds);
    const rate = delivered() / seconds;
    console.log(`\nend to end (64 connections posting for ${SECONDS} s, every event to a local webhook sink)`);
    console.log(`  ${posted.requests} events acknowledged, all ${delivered()} delivered in ${seconds.toFixed(1)} s: ${Math.round(rate)} events/s = ${(rate / bare64.rps).toFixed(2)}× bare throughput`);
    if (cpu) console.log(`  ${cpu}`);
    ratios.set('end to end: events/s against bare requests/s at 64 connections', rate / bare64.rps);
    return peakRssMiB(server.child.pid!);
  } finally {
    await server?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    await sink.close();
  }
}

export async function benchHttp(): Promise<void> {
  if (!haveWrk()) {
    console.log('\nHTTP benchmarks skipped: they need wrk (apt-get install wrk)');
    return;
  }
  const scriptDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  let rounds: Ratios[];
  let rss: number[];
  try {
    ({ rounds, rss } = await runRounds(writePostScript(scriptDir)));
  } finally {
    rmSync(scriptDir, { recursive: true, force: true });
  }
  console.log(`\n== median over ${ROUNDS} rounds (each ratio against the baseline of its own round; the rounds' values in brackets)`);
  for (const key of rounds[0]!.keys()) {
    const values = rounds.map((r) => r.get(key)!);
    console.log(`  ${key}: ${median(values).toFixed(2)}×  [${values.map((v) => v.toFixed(2)).join(', ')}]`);
  }
  console.log(`  peak RSS of the server: ${Math.max(...rss).toFixed(0)} MiB  [median of the runs ${median(rss).toFixed(0)} MiB]`);
}

async function runRounds(script: string): Promise<{ rounds: Ratios[]; rss: number[] }> {
  const rounds: Ratios[] = [];
  const rss: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`\n== round ${round} of ${ROUNDS}`);
    const ratios: Ratios = new Map();
    const baseline = await measureBaseline(script);
    if (ONLY !== 'end-to-end') {
      rss.push(
        await ingest(script, baseline, 'POST /hooks/vcs, durable (committed before the 200), shipped rules.yaml, the 22 events in turn', {}, ratios, 'ingest'),
        await ingest(script, baseline, 'the same with SWITCHBOARD_FSYNC=1 (fsync per commit: survives power loss)', { SWITCHBOARD_FSYNC: '1' }, ratios, 'ingest with fsync'),
      );
    }
    if (ONLY !== 'ingest') rss.push(await endToEnd(script, baseline.get(64)!, ratios));
    rounds.push(ratios);
  }
  return { rounds, rss };
}

async function measureBaseline(script: string): Promise<Map<number, WrkResult>> {
  const bare = await startBare();
  const baseline = new Map<number, WrkResult>();
  console.log(`\nbaseline: bare Hono endpoint on @hono/node-server, parses JSON, answers 200 (${SECONDS} s per run)`);
  try {
    await wrk(bare.url, 16, WARMUP_SECONDS, script);
    for (const c of CONNECTIONS) {
      baseline.set(c, await wrk(bare.url, c, SECONDS, script));
      console.log(`  ${String(c).padStart(2)} connections: ${fmt(baseline.get(c)!)}`);
    }
  } finally {
    bare.stop();
  }
  return baseline;
}
