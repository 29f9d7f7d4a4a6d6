import type { Plan, Planner } from '../deliver/plan.ts';
import { parseEnvelope } from '../events/envelope.ts';
import type { Logger } from '../log.ts';
import { WorkLoop } from './loop.ts';
import type { Routing, Store, UnroutedEvent } from './store.ts';

export interface RoutingOptions {
  log: Logger;
  /** Called when routing queued deliveries, so that sending starts at once. */
  routed: () => void;
  /** Events routed per step; the event loop serves requests between steps. */
  batchSize?: number;
  pollMs?: number;
}

const EMPTY: Plan = { matched: [], skipped: [], deliveries: [] };

/** Routes a stored event: its rules, conditions and messages. */
export function routeStored(e: UnroutedEvent, planner: Planner, log: Logger): Routing {
  const parsed = parseEnvelope(e.raw);
  // Validated before it was stored; a failure here means the stored text was changed.
  if (!parsed.ok) {
    log.error('stored event no longer parses; not routed', { event: e.id, error: parsed.error });
    return { id: e.id, receivedAt: e.receivedAt, plan: EMPTY };
  }
  return { id: e.id, receivedAt: e.receivedAt, plan: planner.plan({ eventId: parsed.eventId, envelope: parsed.value }) };
}

/**
 * Routes committed events: rules, conditions and templates run here, after the 200, so that
 * answering VCS never waits for them. An event committed but not yet routed when the process dies
 * is routed after the restart.
 */
export class RoutingStage {
  private readonly loop: WorkLoop;
  private readonly batchSize: number;

  constructor(
    private readonly store: Store,
    private readonly planner: () => Planner,
    private readonly options: RoutingOptions,
  ) {
    this.batchSize = options.batchSize ?? 64;
    this.loop = new WorkLoop(() => this.step(), {
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      onError: (e) => options.log.error('could not route received events; retrying', { error: (e as Error).message }),
    });
  }

  notify(): void {
    this.loop.notify();
  }

  stop(): void {
    this.loop.stop();
  }

  private async step(): Promise<number | undefined> {
    const events = await this.store.unrouted(this.batchSize);
    if (events.length === 0) return undefined;
    const planner = this.planner();
    const routings = events.map((e) => routeStored(e, planner, this.options.log));
    await this.store.route(routings, Date.now());
    if (routings.some((r) => r.plan.deliveries.length > 0)) this.options.routed();
    return events.length === this.batchSize ? 0 : undefined;
  }
}
