import { writeSync } from 'node:fs';
import { afterIo } from '../queue/schedule.ts';

/** A pipe takes a write of up to this many bytes whole (PIPE_BUF): lines of two threads never mix. */
const WHOLE_WRITE_BYTES = 4096;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes log lines to stdout, many per write: under load a line per request costs a system call
 * each. Lines are written after the current turn of the event loop, and at exit.
 *
 * Both threads of the server write to the file descriptor themselves. A worker thread's
 * process.stdout passes its text to the main thread, which under load wrote it out so late that
 * the intake thread held megabytes of waiting lines. A full pipe blocks the writer until the
 * reader catches up, as a blocking stdout would: lines wait in the pipe, never in memory.
 */
export function batchedStdout(fd = 1): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    let chunk = '';
    let bytes = 0;
    for (const line of lines) {
      const size = Buffer.byteLength(line) + 1;
      if (bytes > 0 && bytes + size > WHOLE_WRITE_BYTES) {
        writeAll(fd, chunk);
        chunk = '';
        bytes = 0;
      }
      chunk += `${line}\n`;
      bytes += size;
    }
    writeAll(fd, chunk);
  };
  process.on('exit', flush);
  return (line) => {
    if (pending.push(line) === 1) afterIo(flush);
  };
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Node makes a stdout pipe non-blocking: a full one says EAGAIN. Wait for the reader.
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      // Nobody reads any more (EPIPE): the lines have nowhere to go.
      else return;
    }
  }
}
