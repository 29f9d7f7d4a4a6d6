/** The intake thread's entry point (bundled as dist/intake.mjs; see intake-worker.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { runIntakeThread, type IntakeThreadData } from './intake-thread.ts';

runIntakeThread(workerData as IntakeThreadData, parentPort!);
