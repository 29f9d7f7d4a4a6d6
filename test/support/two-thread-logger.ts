/**
 * A child process for the log-writing test: its main thread and a worker thread each write LINES
 * numbered lines to stdout through batchedStdout, in turns of 100.
 */
import { isMainThread, threadId, Worker } from 'node:worker_threads';
import { batchedStdout } from '../../src/node/stdout-lines.ts';

const LINES = Number(process.env.LINES ?? 10_000);
// Node makes a stdout pipe non-blocking when process.stdout is first used, as the server does.
void process.stdout;
const write = batchedStdout();
if (isMainThread) {
  // The worker runs this file through tsx too.
  const tsx = import.meta.resolve('tsx/esm/api');
  new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`, { eval: true });
}

let i = 0;
const turn = () => {
  for (const end = Math.min(i + 100, LINES); i < end; i++) write(`thread ${threadId} line ${i} ${'x'.repeat(100)}`);
  if (i < LINES) setImmediate(turn);
};
turn();
