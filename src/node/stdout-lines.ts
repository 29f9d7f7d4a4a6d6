import { writeSync } from 'node:fs';

/** A pipe takes a write of up to this many bytes whole (PIPE_BUF): lines of two threads never mix. */
const WHOLE_WRITE_BYTES = 4096;
/** Lines are written at most this long after they were logged. */
const FLUSH_MS = 10;
/** How much a thread keeps while the reader lags, before it waits for it. */
const BACKLOG_BYTES = 1024 * 1024;
/** How soon a thread tries again to write what waits for a lagging reader. */
const RETRY_MS = 5;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes log lines to stdout, many per write, within FLUSH_MS of being logged, and at exit. A
 * write to a pipe took about 150 µs on this busy 2-core machine: a write per turn of the event
 * loop took 8 to 10% of the intake thread's time.
 *
 * Both threads of the server write to the file descriptor themselves, in whole writes of at most
 * PIPE_BUF bytes. A worker thread's process.stdout passes its text to the main thread, which under
 * load wrote it out so late that the intake thread held megabytes of waiting lines.
 *
 * When the reader lags (a full pipe: Node makes a stdout pipe non-blocking), lines wait here, in
 * order, and are tried again shortly, so that a request is not held up by a reader's hiccup; past
 * `backlogBytes` the thread waits for the reader, as a blocking stdout would, so memory stays bounded.
 */
export function batchedStdout(backlogBytes = BACKLOG_BYTES): (line: string) => void {
  let pending: string[] = [];
  const backlog: Buffer[] = [];
  const backlogged = () => backlog.reduce((bytes, chunk) => bytes + chunk.length, 0);
  let retry: ReturnType<typeof setTimeout> | undefined;

  const drain = (block: boolean) => {
    while (backlog.length > 0) {
      const chunk = backlog[0]!;
      const written = tryWrite(chunk);
      if (written === 'closed') {
        // Nobody reads any more (EPIPE): the lines have nowhere to go.
        backlog.length = 0;
        return;
      }
      if (written === 'full') {
        if (block || backlogged() > backlogBytes) {
          Atomics.wait(pause, 0, 0, 1);
          continue;
        }
        retry ??= setTimeout(() => {
          retry = undefined;
          drain(false);
        }, RETRY_MS);
        retry.unref();
        return;
      }
      if (written === chunk.length) backlog.shift();
      else backlog[0] = chunk.subarray(written);
    }
  };

  const flush = (block: boolean) => {
    let chunk = '';
    let bytes = 0;
    for (const line of pending) {
      const size = Buffer.byteLength(line) + 1;
      if (bytes > 0 && bytes + size > WHOLE_WRITE_BYTES) {
        backlog.push(Buffer.from(chunk));
        chunk = '';
        bytes = 0;
      }
      chunk += `${line}\n`;
      bytes += size;
    }
    if (bytes > 0) backlog.push(Buffer.from(chunk));
    pending = [];
    drain(block);
  };

  process.on('exit', () => flush(true));
  return (line) => {
    if (pending.push(line) === 1) setTimeout(() => flush(false), FLUSH_MS).unref();
  };
}

/** Bytes written to stdout; `full` when the pipe takes nothing now, `closed` when nobody reads. */
function tryWrite(chunk: Buffer): number | 'full' | 'closed' {
  try {
    return writeSync(1, chunk);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EAGAIN' ? 'full' : 'closed';
  }
}
