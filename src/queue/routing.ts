import type { Plan, Planner } from '../deliver/plan.ts';
import { enrichNeeds, type Enrichment, type EnrichmentSource } from '../enrich/enricher.ts';
import type { EnrichTarget } from '../enrich/targets.ts';
import { parseEnvelope, type VcsEvent } from '../events/envelope.ts';
import type { Logger } from '../log.ts';
import { WorkLoop } from './loop.ts';
import type { Routing, Store } from './store.ts';

export interface RoutingOptions {
  log: Logger;
  /** Called when routing queued deliveries, so that sending starts at once. */
  routed: () => void;
  /** Events routed per step; the event loop serves requests between steps. */
  batchSize?: number;
  pollMs?: number;
  /**
   * Fetches what rules ask for (`enrich:`) from the VCS CoreAPI before their conditions run. Its
   * wait is bounded by its timeout and it never fails an event: what it cannot fetch is left out.
   */
  enricher?: EnrichmentSource;
}

const EMPTY: Plan = { matched: [], skipped: [], deliveries: [] };

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
    // Concurrently: a batch waits for the CoreAPI once (at most its timeout), not once per event.
    const routings: Routing[] = await Promise.all(
      events.map(async (e): Promise<Routing> => {
        const parsed = parseEnvelope(e.raw);
        // Validated before it was stored; a failure here means the stored text was changed.
        if (!parsed.ok) {
          this.options.log.error('stored event no longer parses; not routed', { event: e.id, error: parsed.error });
          return { id: e.id, receivedAt: e.receivedAt, plan: EMPTY };
        }
        const event = { eventId: parsed.eventId, envelope: parsed.value };
        // Only what the rules that can take this event ask for, known before any condition runs.
        const needs = enrichNeeds(planner.router.candidates(parsed.eventId));
        const enrichment = needs.size > 0 ? await this.enrich(e.id, event, needs) : undefined;
        return {
          id: e.id,
          receivedAt: e.receivedAt,
          plan: planner.plan(event, enrichment?.context),
          ...(enrichment && enrichment.record.length > 0 ? { enrichment: enrichment.record } : {}),
        };
      }),
    );
    await this.store.route(routings, Date.now());
    if (routings.some((r) => r.plan.deliveries.length > 0)) this.options.routed();
    return events.length === this.batchSize ? 0 : undefined;
  }

  private async enrich(id: string, event: { eventId: string; envelope: VcsEvent }, needs: Set<EnrichTarget>): Promise<Enrichment | undefined> {
    const { enricher, log } = this.options;
    if (!enricher) return undefined;
    try {
      return await enricher.enrich(event.eventId, event.envelope, needs);
    } catch (e) {
      // Enrichers do not throw; should one, the event still goes out, without the details.
      log.error('enrichment failed unexpectedly; routing without it', { event: id, error: (e as Error).message });
      return undefined;
    }
  }
}
