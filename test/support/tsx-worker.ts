import { Worker } from 'node:worker_threads';

/** A source file's URL, for a worker's `import()`. */
export const sourceUrl = (path: string) => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);

/**
 * A worker thread that can import the TypeScript sources: `body` runs once tsx is registered, as
 * the body of an async function that sees `workerData` and `parentPort`.
 */
export function startTsxWorker(body: string, workerData?: unknown): Worker {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(${tsx}).then(async (tsx) => { tsx.register(); ${body} });`;
  return new Worker(code, { eval: true, workerData });
}

/** Runs `body` in a worker thread (startTsxWorker) until it posts a message; fails with its error. */
export function runTsxWorker(body: string, workerData?: unknown): Promise<void> {
  const worker = startTsxWorker(body, workerData);
  return new Promise((done, failed) => {
    worker.once('message', () => void worker.terminate().then(() => done()));
    worker.once('error', failed);
  });
}
