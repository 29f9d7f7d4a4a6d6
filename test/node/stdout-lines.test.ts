import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LINES = 10_000;

/**
 * Runs test/support/two-thread-logger.ts: two threads write LINES lines each (2.4 MB in all) into a
 * pipe that is not read until `startReading` says so; then read at once, or a little at a time,
 * so that the pipe is nearly always full and writes stop halfway.
 */
async function twoThreads(backlogBytes: number, startReading: (stderr: NodeJS.ReadableStream) => Promise<void>, slowly = false): Promise<string[]> {
  const script = fileURLToPath(new URL('../support/two-thread-logger.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, LINES: String(LINES), BACKLOG: String(backlogBytes) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pause();
  const exited = new Promise<number | null>((done) => child.on('close', done));
  await startReading(child.stderr);
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!slowly) return;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 1);
  });
  child.stdout.resume();
  expect(await exited).toBe(0);
  return out.split('\n').filter(Boolean);
}

/** Every line whole, each thread's in order, none missing. */
function expectAllLines(lines: string[]): void {
  const next = new Map<string, number>();
  for (const line of lines) {
    const m = /^thread (\d+) line (\d+) x{100}$/.exec(line);
    expect(m, `a line mixed with another: ${line.slice(0, 80)}`).not.toBeNull();
    expect(Number(m![2]), `thread ${m![1]}'s lines out of order`).toBe(next.get(m![1]!) ?? 0);
    next.set(m![1]!, Number(m![2]) + 1);
  }
  expect([...next.values()]).toEqual([LINES, LINES]);
}

describe('log lines on stdout, written by two threads at once', () => {
  it('wait in memory while the reader lags, so that writing goes on, and all reach it in the end', async () => {
    const lines = await twoThreads(4 * 1024 * 1024, async (stderr) => {
      // Nothing is read until both threads have written everything: had a full pipe held them up,
      // they would never finish.
      let said = '';
      await new Promise<void>((written) => stderr.on('data', (d: Buffer) => (said += d.toString()).includes('written') && written()));
    });
    expectAllLines(lines);
  }, 30_000);

  it('past what may wait in memory, wait for the reader: whole, in order and all of them', async () => {
    const lines = await twoThreads(64 * 1024, async () => {
      // Read from the next turn on: by then the threads have filled the pipe and more. Whatever the
      // timing, no line may be lost, mixed or out of order.
      await new Promise<void>((start) => setImmediate(start));
    });
    expectAllLines(lines);
  }, 30_000);

  it('never mix, when a reader that takes a little at a time keeps the pipe nearly full', async () => {
    const lines = await twoThreads(64 * 1024, async () => {}, true);
    expectAllLines(lines);
  }, 60_000);
});
