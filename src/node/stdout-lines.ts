import { afterIo } from '../queue/schedule.ts';

/**
 * Writes log lines to stdout, many per write: under load a line per request costs a system call
 * each. Lines are written after the current turn of the event loop, and at exit.
 */
export function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    process.stdout.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    if (pending.push(line) === 1) afterIo(flush);
  };
}
