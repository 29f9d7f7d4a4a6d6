import type { D1Database, Queue } from '@cloudflare/workers-types/index.ts';

/** What the Worker's queues carry: an event to route, a delivery to send, or "release what is due now" (groups, held deliveries). */
export type WorkMessage = { kind: 'route'; event: string } | { kind: 'deliver'; delivery: number } | { kind: 'release' };

/** What the dead-letter queue holds: deliveries given up on, with why. */
export type DeadLetter = WorkMessage | { kind: 'dead'; delivery: number; event: string; reason: string };

/** The Worker's bindings (wrangler.toml), vars and secrets. */
export interface WorkerEnv {
  DB: D1Database;
  DELIVERIES: Queue<WorkMessage>;
  DEAD_LETTERS: Queue<DeadLetter>;
  /** The dead-letter queue's name, to tell its batches from the delivery queue's. */
  DEAD_LETTER_QUEUE?: string;
  SWITCHBOARD_TOKEN?: string;
  SWITCHBOARD_ADMIN_TOKEN?: string;
  SWITCHBOARD_ALLOW_CIDRS?: string;
  SWITCHBOARD_ECHO?: string;
  /** Everything else: settings, and the variables rules.yaml uses as ${NAME}. */
  [name: string]: unknown;
}
