/** The main thread's side of the intake thread (intake-thread.ts): starting, serving, stopping it. */
import { Worker } from 'node:worker_threads';
import type { Hono } from 'hono';
import { afterIo } from '../queue/schedule.ts';
import type { FromIntake, IntakeThreadData, ToIntake } from './intake-thread.ts';

export interface IntakeWorkerOptions {
  data: IntakeThreadData;
  /** Answers what the intake thread passes on: /healthz and the operators' API. */
  control: Hono;
  /** Events were committed: route them. */
  committed: () => void;
  /** The thread failed (it cannot listen, or an error nothing caught): the server must stop. */
  failed: (error: Error) => void;
}

export interface IntakeWorker {
  /** The port it listens on (when PORT=0, the one it was given). */
  readonly port: number;
  /** Stops accepting, answers what is in flight, closes its connection to the database. */
  stop(): Promise<void>;
}

/**
 * The bundle (dist/) starts the bundled entry; the sources (`npx switchboard`, run by tsx) start
 * the TypeScript one through tsx.
 */
function startThread(data: IntakeThreadData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./intake.mjs', import.meta.url), { workerData: data });
  const entry = new URL('./intake-thread-entry.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: data });
}

export function startIntakeWorker(options: IntakeWorkerOptions): Promise<IntakeWorker> {
  const worker = startThread(options.data);
  const post = (m: ToIntake, transfer: ArrayBuffer[] = []) => worker.postMessage(m, transfer);
  let stopping = false;
  let stopped: () => void = () => {};
  // Node hands the messages waiting on a port over in one go: acted on one by one, a burst of
  // commits would run a routing step each, and keep timers and sockets (the deliveries' answers)
  // waiting for seconds. They are taken together once the loop has served its I/O.
  let committedSoon = false;
  const committed = () => {
    committedSoon = false;
    options.committed();
  };

  return new Promise((listening, failedToStart) => {
    let started = false;
    const fail = (error: Error) => (started ? options.failed(error) : failedToStart(error));
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!stopping) fail(new Error(`the HTTP intake thread ended unexpectedly (exit code ${code})`));
    });
    worker.on('message', (m: FromIntake) => {
      switch (m.type) {
        case 'committed':
          if (!committedSoon) afterIo(committed);
          committedSoon = true;
          return;
        case 'request':
          return void answer(m);
        case 'stopped':
          return stopped();
        case 'listening':
          started = true;
          return listening({
            port: m.port,
            stop: () =>
              new Promise<void>((done) => {
                stopping = true;
                stopped = done;
                post({ type: 'stop' });
              }),
          });
      }
    });
  });

  async function answer(m: Extract<FromIntake, { type: 'request' }>): Promise<void> {
    let request: Request;
    try {
      request = new Request(m.url, { method: m.method, headers: m.headers, body: m.body });
    } catch (e) {
      // Node's HTTP server takes methods that fetch's Request refuses (TRACE, TRACK).
      return answerError(m.id, 405, (e as Error).message);
    }
    try {
      const response = await options.control.fetch(request);
      const body = response.body ? await response.arrayBuffer() : null;
      post({ type: 'response', id: m.id, status: response.status, headers: [...response.headers], body }, body ? [body] : []);
    } catch (e) {
      // The app answers its own errors; this is one it could not.
      answerError(m.id, 500, (e as Error).message);
    }
  }

  function answerError(id: number, status: number, error: string): void {
    const body = new TextEncoder().encode(JSON.stringify({ ok: false, error })).buffer as ArrayBuffer;
    post({ type: 'response', id, status, headers: [['content-type', 'application/json']], body }, [body]);
  }
}
