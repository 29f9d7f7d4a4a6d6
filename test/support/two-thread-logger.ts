/**
 * A child process for the log-writing tests: its main thread and a worker thread each write LINES
 * numbered lines to stdout through batchedStdout (keeping at most BACKLOG bytes for a lagging
 * reader), in turns of 1,000 (a flush of 120 kB); once both have, the main thread says `written`
 * on stderr.
 */
import { isMainThread, parentPort, threadId } from 'node:worker_threads';
import { batchedStdout } from '../../src/node/stdout-lines.ts';
import { startTsxWorker } from './tsx-worker.ts';

const LINES = Number(process.env.LINES ?? 10_000);
// Node makes a stdout pipe non-blocking when process.stdout is first used, as the server does.
void process.stdout;
const write = batchedStdout(Number(process.env.BACKLOG));

const workerDone = isMainThread ? startWorker() : undefined;

let i = 0;
const turn = () => {
  for (const end = Math.min(i + 1_000, LINES); i < end; i++) write(`thread ${threadId} line ${i} ${'x'.repeat(100)}`);
  if (i < LINES) return void setImmediate(turn);
  if (!isMainThread) return parentPort!.postMessage('done');
  void workerDone!.then(() => process.stderr.write('written\n'));
};
turn();

function startWorker(): Promise<void> {
  // The worker runs this file too.
  const worker = startTsxWorker(`await import(${JSON.stringify(import.meta.url)});`);
  return new Promise((done) => worker.once('message', () => done()));
}
