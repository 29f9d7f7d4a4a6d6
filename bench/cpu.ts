/**
 * CPU time from Linux's /proc, to say where an end-to-end run's time went: the server's main
 * thread, its other threads (the HTTP intake above all), this process (the sink), and the machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of a /proc stat line, in ticks (fields 14 and 15; the name may hold spaces). */
const ticksOf = (stat: string) => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

export interface CpuSample {
  main: number;
  otherThreads: number;
  self: number;
  /** Ticks the machine's cores were busy, summed over the cores. */
  busy: number;
}

export const canSampleCpu = () => existsSync('/proc/self/stat');

export function sampleCpu(serverPid: number): CpuSample {
  let main = 0;
  let otherThreads = 0;
  for (const tid of readdirSync(`/proc/${serverPid}/task`)) {
    const t = ticksOf(readFileSync(`/proc/${serverPid}/task/${tid}/stat`, 'utf8'));
    if (Number(tid) === serverPid) main = t;
    else otherThreads += t;
  }
  // The first line of /proc/stat: every core's ticks by kind; all but idle and iowait were busy.
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = cpu.reduce((a, b) => a + b, 0) - cpu[3]! - cpu[4]!;
  return { main, otherThreads, self: ticksOf(readFileSync('/proc/self/stat', 'utf8')), busy };
}

/** What happened between two samples, per event, and how busy the machine's cores were. */
export function describeCpu(before: CpuSample, after: CpuSample, events: number, seconds: number): string {
  const spent = (k: keyof CpuSample) => (after[k] - before[k]) / TICKS_PER_SECOND;
  const perEvent = (k: keyof CpuSample) => `${Math.round((spent(k) / events) * 1e6)} µs`;
  return (
    `CPU per event: server main thread ${perEvent('main')} (busy ${Math.round((spent('main') / seconds) * 100)}% of the time), ` +
    `its other threads ${perEvent('otherThreads')}, the benchmark's sink ${perEvent('self')}, ` +
    `the whole machine ${perEvent('busy')}; cores busy on average: ${(spent('busy') / seconds).toFixed(2)}`
  );
}
