import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

export function haveWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/**
 * A wrk script that POSTs the 22 event fixtures in turn, each with a new object id so that no two
 * requests, from any thread of any run, carry the same payload: the idempotency check would take
 * a repeat for a duplicate, which is never routed.
 */
export function writePostScript(dir: string): string {
  const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'events');
  const bodies = readdirSync(fixtures)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.stringify(JSON.parse(readFileSync(join(fixtures, f), 'utf8'))).replace(/"object_id":("[^"]*"|\d+)/, '"object_id":%d'));
  const lua = `wrk.method = "POST"
local bodies = { ${bodies.map((b) => `[==[${b}]==]`).join(',\n')} }
-- Each wrk thread has its own Lua state: number the threads so that their object ids never meet,
-- and start each run (its number is the script's argument) past every earlier run's ids.
local threads = 0
function setup(thread)
  thread:set("thread_id", threads * 1000000000)
  threads = threads + 1
end
local first_id = 0
function init(args)
  first_id = (tonumber(args[1]) or 0) * 100000000000 + (thread_id or 0)
end
local n = 0
request = function()
  n = n + 1
  local body = string.format(bodies[(n % #bodies) + 1], first_id + n)
  return wrk.format("POST", "/hooks/vcs", { ["Content-Type"] = "application/json" }, body)
end
`;
  const path = join(dir, 'post.lua');
  writeFileSync(path, lua);
  return path;
}

function ms(value: string, unit: string): number {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
}

/** Runs of wrk so far in this process: each posts object ids of its own. */
let runs = 0;

/**
 * Runs wrk against `url` and reads its summary. Asynchronous, so that servers in this process (the
 * end-to-end run's sink) go on answering while it runs.
 */
export async function wrk(url: string, connections: number, seconds: number, script: string): Promise<WrkResult> {
  const args = ['-t', connections > 1 ? '2' : '1', '-c', String(connections), '-d', `${seconds}s`, '-s', script, '--latency', url, '--', String(++runs)];
  const { stdout: out } = await promisify(execFile)('wrk', args, {
    encoding: 'utf8',
  });
  const latency = (pct: string) => {
    const m = out.match(new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`));
    return m ? ms(m[1]!, m[2]!) : NaN;
  };
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1]),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    requests: Number(out.match(/(\d+) requests in/)?.[1]),
  };
}
