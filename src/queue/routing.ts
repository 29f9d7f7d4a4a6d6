import { didYouMean } from '../config/did-you-mean.ts';
import { Planner, type Plan } from '../deliver/plan.ts';
import { enrichNeeds, type Enrichment, type EnrichmentSource } from '../enrich/enricher.ts';
import type { EnrichTarget } from '../enrich/targets.ts';
import { parseEnvelope, type VcsEvent } from '../events/envelope.ts';
import { applyHolds } from '../hold/decide.ts';
import type { Logger } from '../log.ts';
import { WorkLoop } from './loop.ts';
import { ConflictError, type Routed, type Routing, type Store, type UnroutedEvent } from './store.ts';

export interface RoutingOptions {
  log: Logger;
  /** Called when routing queued deliveries or held some until a time, so that they go at once or then. */
  routed: (routed: Routed) => void;
  /** Events routed per step; the event loop serves requests between steps. */
  batchSize?: number;
  pollMs?: number;
  /** Events committed within this long of a step's start wait for one step together (WorkLoop). */
  gatherMs?: number;
  /**
   * Fetches what rules ask for (`enrich:`) from the VCS CoreAPI before their conditions run. Its
   * wait is bounded by its timeout and it never fails an event: what it cannot fetch is left out.
   */
  enricher?: EnrichmentSource;
  now?: () => number;
}

/** Decisions made on state that changed meanwhile are made again, this many times at most. */
const CONFLICT_ATTEMPTS = 5;

/**
 * Applies groups, throttles, incidents and send windows to routings (hold/decide.ts) and records
 * them; decided again when the state they were decided on changed meanwhile (ConflictError).
 */
export async function recordRoutings(store: Store, planner: Planner, routings: readonly Routing[], now: () => number, log: Logger): Promise<Routed> {
  for (let attempt = 1; ; attempt++) {
    const at = now();
    const decided = await applyHolds(routings, store, planner, at);
    let routed: Routed;
    try {
      routed = await store.route(decided, at);
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= CONFLICT_ATTEMPTS) throw e;
      continue;
    }
    warnFallbacks(decided, log);
    return routed;
  }
}

/**
 * One warning per stored message whose template failed, so that a broken template shows in the log
 * and not only in `explain`: said once, when the message is recorded (not per send attempt, nor per
 * decision made again on a conflict). One held back for good is never sent, so nothing is said.
 */
function warnFallbacks(routings: readonly Routing[], log: Logger): void {
  for (const r of routings) {
    const eventsId = (r.context?.event as { events_id?: unknown } | undefined)?.events_id;
    for (const d of r.plan.deliveries) {
      if (d.renderError === undefined || d.status === 'suppressed') continue;
      log.warn('template failed; the plain fallback message goes instead', { event: r.id, events_id: eventsId, rule: d.rule, destination: d.destination, error: d.renderError });
    }
  }
}

const EMPTY: Plan = { matched: [], skipped: [], deliveries: [] };

/**
 * Routes a stored event: the enrichment its candidate rules ask for (known before any condition
 * runs), then rules, conditions and messages. A promise only when it waits for the CoreAPI.
 */
export function routeStored(e: UnroutedEvent, planner: Planner, log: Logger, enricher?: EnrichmentSource): Routing | Promise<Routing> {
  const parsed = parseEnvelope(e.raw);
  // Validated before it was stored; a failure here means the stored text was changed.
  if (!parsed.ok) {
    log.error('stored event no longer parses; not routed', { event: e.id, error: parsed.error });
    return { id: e.id, receivedAt: e.receivedAt, plan: EMPTY };
  }
  const event = { eventId: parsed.eventId, envelope: parsed.value };
  if (planner.firstSightOfUnknown(parsed.eventId)) {
    // A newer VCS, a handler set up by hand, or a typo in a test sender: no rule names it, so only
    // patterns ("*", "clients.*") can take it, and it is easily missed among the unrouted.
    log.warn(`event id not in VCS's catalog nor under extra_events; only rules with patterns can take it${didYouMean(parsed.eventId, planner.config.knownEvents)} (said once per id)`, {
      event: e.id,
      events_id: parsed.eventId,
    });
  }
  const needs = enrichNeeds(planner.router.candidates(parsed.eventId));
  if (needs.size === 0 || !enricher) return { id: e.id, receivedAt: e.receivedAt, plan: planner.plan(event), context: Planner.context(event) };
  return enrich(e.id, event, needs, enricher, log).then((enrichment) => ({
    id: e.id,
    receivedAt: e.receivedAt,
    plan: planner.plan(event, enrichment?.context),
    context: Planner.context(event, enrichment?.context),
    ...(enrichment && enrichment.record.length > 0 ? { enrichment: enrichment.record } : {}),
  }));
}

async function enrich(id: string, event: { eventId: string; envelope: VcsEvent }, needs: Set<EnrichTarget>, enricher: EnrichmentSource, log: Logger): Promise<Enrichment | undefined> {
  try {
    return await enricher.enrich(event.eventId, event.envelope, needs);
  } catch (e) {
    // Enrichers do not throw; should one, the event still goes out, without the details.
    log.error('enrichment failed unexpectedly; routing without it', { event: id, error: (e as Error).message });
    return undefined;
  }
}

/**
 * Routes committed events: rules, conditions and templates run here, after the 200, so that
 * answering VCS never waits for them. An event committed but not yet routed when the process dies
 * is routed after the restart.
 *
 * An event whose rules ask for enrichment waits for the CoreAPI (at most its timeout) on the side:
 * the loop goes on routing everything else meanwhile, so a slow CoreAPI delays only what needs it.
 */
export class RoutingStage {
  private readonly loop: WorkLoop;
  private readonly batchSize: number;
  /** Events being enriched: routed when their enrichment settles, left alone by the loop until then. */
  private readonly enriching = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly planner: () => Planner,
    private readonly options: RoutingOptions,
  ) {
    this.batchSize = options.batchSize ?? 64;
    this.loop = new WorkLoop(() => this.step(), {
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.gatherMs !== undefined ? { gatherMs: options.gatherMs } : {}),
      onError: (e) => options.log.error('could not route received events; retrying', { error: (e as Error).message }),
    });
  }

  notify(): void {
    this.loop.notify();
  }

  /** Stops routing. Events still being enriched are not recorded: they are routed after the restart. */
  stop(): void {
    this.stopped = true;
    this.loop.stop();
  }

  /** Resolves when no event is waiting for enrichment (for tests, and runtimes that must keep work alive). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async step(): Promise<number | undefined> {
    // The oldest unrouted events may be ones being enriched: ask for enough to fill a batch besides.
    const rows = await this.store.unrouted(this.batchSize + this.enriching.size);
    const events = rows.filter((e) => !this.enriching.has(e.id)).slice(0, this.batchSize);
    if (events.length === 0) return undefined;
    const planner = this.planner();
    const ready: Routing[] = [];
    const waiting: Array<{ id: string; routing: Promise<Routing> }> = [];
    for (const e of events) {
      const routing = routeStored(e, planner, this.options.log, this.options.enricher);
      if (routing instanceof Promise) waiting.push({ id: e.id, routing });
      else ready.push(routing);
    }
    if (waiting.length > 0) this.routeWhenEnriched(waiting, planner);
    await this.commit(ready, planner);
    return events.length === this.batchSize ? 0 : undefined;
  }

  /**
   * Records a batch's enriched events together once all are enriched; the loop does not wait.
   * Recorded with the configuration they were planned by, though a reload may have replaced it
   * meanwhile: deciding their holds by the new one would render some of an event's messages by
   * each.
   */
  private routeWhenEnriched(waiting: ReadonlyArray<{ id: string; routing: Promise<Routing> }>, planner: Planner): void {
    for (const w of waiting) this.enriching.add(w.id);
    const done = Promise.all(waiting.map((w) => w.routing))
      .then((routings) => (this.stopped ? undefined : this.commit(routings, planner)))
      .catch((e) => this.options.log.error('could not route enriched events; retrying', { error: (e as Error).message }))
      .finally(() => {
        for (const w of waiting) this.enriching.delete(w.id);
        this.pending.delete(done);
        // Routed now, or (after an error) unrouted again: either way the loop has work to look at.
        if (!this.stopped) this.loop.notify();
      });
    this.pending.add(done);
  }

  /** Records routings, their holds decided by the configuration that planned them. */
  private async commit(routings: readonly Routing[], planner: Planner): Promise<void> {
    if (routings.length === 0) return;
    const routed = await recordRoutings(this.store, planner, routings, this.options.now ?? Date.now, this.options.log);
    if (routed.deliveries.length > 0 || routed.releaseAt.length > 0) this.options.routed(routed);
  }
}
