import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LINES = 10_000;

describe('log lines on stdout', () => {
  it('are written whole, in order and all of them, by two threads at once into a pipe read late', async () => {
    const script = fileURLToPath(new URL('../support/two-thread-logger.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, LINES: String(LINES) }, stdio: ['ignore', 'pipe', 'inherit'] });
    // Not read at first: 2 MB of lines fill the pipe, and the writers must wait for the reader.
    child.stdout.pause();
    setImmediate(() => child.stdout.resume());
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code).toBe(0);

    const next = new Map<string, number>();
    const lines = out.split('\n').filter(Boolean);
    for (const line of lines) {
      const m = /^thread (\d+) line (\d+) x{100}$/.exec(line);
      expect(m, `a line mixed with another: ${line.slice(0, 80)}`).not.toBeNull();
      expect(Number(m![2]), `thread ${m![1]}'s lines out of order`).toBe(next.get(m![1]!) ?? 0);
      next.set(m![1]!, Number(m![2]) + 1);
    }
    expect([...next.values()]).toEqual([LINES, LINES]);
  }, 30_000);
});
