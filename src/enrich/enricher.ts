import type { VcsEvent } from '../events/envelope.ts';
import type { Logger } from '../log.ts';
import { LruTtlCache } from './cache.ts';
import { CoreApiError, type CoreApi } from './coreapi.ts';
import { ENRICH_TARGETS, TARGETS, validId, type EnrichTarget } from './targets.ts';

/** What became of one object a rule asked for. */
export type EnrichmentOutcome = 'fetched' | 'cached' | 'failed' | 'skipped';

/** Recorded with the event, so that `switchboard explain` says what was fetched and why not. */
export interface EnrichmentEntry {
  readonly object: EnrichTarget;
  readonly id?: string;
  readonly outcome: EnrichmentOutcome;
  readonly reason?: string;
}

export interface Enrichment {
  /**
   * Added to the context of conditions and templates: each object fetched under its name (`client`,
   * `rate_table`), and `enrichment.note` (a sentence for the reader) when some could not be fetched.
   */
  readonly context: Record<string, unknown>;
  readonly record: readonly EnrichmentEntry[];
}

/** Enriches an event with the objects its candidate rules ask for. Never throws. */
export interface EnrichmentSource {
  enrich(eventId: string, envelope: VcsEvent, needs: Iterable<EnrichTarget>): Promise<Enrichment>;
}

/** The objects the rules that can take an event ask for, so that nothing else is fetched. */
export function enrichNeeds(rules: Iterable<{ readonly enrich?: readonly EnrichTarget[] }>): Set<EnrichTarget> {
  const needs = new Set<EnrichTarget>();
  for (const rule of rules) for (const t of rule.enrich ?? []) needs.add(t);
  return needs;
}

export interface EnricherOptions {
  api: CoreApi;
  log: Logger;
  /** The longest an event waits for the CoreAPI. */
  timeoutMs: number;
  cacheTtlMs: number;
  cacheSize: number;
  /** After the CoreAPI as a whole failed (down, slow, key refused), it is not called for this long. */
  pauseMs: number;
  now?: () => number;
}

// A call that ignores its abort signal must still not hold routing up for longer than this past its timeout.
const DEADLINE_GRACE_MS = 100;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const byTarget = (a: EnrichmentEntry, b: EnrichmentEntry) => ENRICH_TARGETS.indexOf(a.object) - ENRICH_TARGETS.indexOf(b.object);

type Attempt = { entry: EnrichmentEntry; value?: Record<string, unknown> };

/**
 * Fetches what rules ask for from the VCS CoreAPI: cached (LRU with a TTL), one call shared by
 * everyone asking for the same object at once, each wait bounded by the timeout. Whatever fails, the
 * event is routed on time without it, and the reason is recorded and given to templates.
 */
export class Enricher implements EnrichmentSource {
  private readonly cache: LruTtlCache<Record<string, unknown>>;
  private readonly now: () => number;
  private pausedUntil = 0;
  /** The reason the CoreAPI is failing, while it is: logged when it starts and when it ends. */
  private failing: { reason: string; at: number } | undefined;
  private readonly reported = new Set<string>();

  constructor(private readonly options: EnricherOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new LruTtlCache({ maxEntries: options.cacheSize, ttlMs: options.cacheTtlMs, now: this.now });
  }

  async enrich(eventId: string, envelope: VcsEvent, needs: Iterable<EnrichTarget>): Promise<Enrichment> {
    const attempts = await Promise.all([...new Set(needs)].map((target) => this.attempt(target, eventId, envelope)));
    return assemble(attempts);
  }

  private async attempt(target: EnrichTarget, eventId: string, envelope: VcsEvent): Promise<Attempt> {
    const spec = TARGETS[target];
    const located = spec.locate(eventId, envelope);
    if (!located) return { entry: { object: target, outcome: 'skipped', reason: `the event names no ${spec.label}` } };
    const id = validId(located.id);
    if (!id) return { entry: { object: target, outcome: 'skipped', reason: `the event's ${spec.label} id ${JSON.stringify(located.id)} is not a number` } };
    const now = this.now();
    if (now < this.pausedUntil && this.failing) {
      const ago = Math.max(1, Math.round((now - this.failing.at) / 1000));
      return { entry: { object: target, id, outcome: 'failed', reason: `not tried: the CoreAPI failed ${ago} s ago (${this.failing.reason})` } };
    }
    try {
      const { value, source } = await this.withDeadline(
        this.cache.load(`${target}:${id}`, () => this.fetch(spec.method, id), { fresh: located.own }),
      );
      this.recovered();
      return { entry: { object: target, id, outcome: source === 'cache' ? 'cached' : 'fetched' }, value };
    } catch (e) {
      const err = e instanceof CoreApiError ? e : new CoreApiError('bad_answer', (e as Error).message ?? String(e));
      this.failed(err, spec.method);
      return { entry: { object: target, id, outcome: 'failed', reason: err.message } };
    }
  }

  private async fetch(method: string, id: string): Promise<Record<string, unknown>> {
    const result = await this.options.api.call(method, { id: Number(id) });
    // A list of one is accepted too: some CoreAPI versions answer "get" the way they answer "list".
    const value = Array.isArray(result) && result.length === 1 ? result[0] : result;
    // Some APIs answer an unknown id with an empty result rather than an error.
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) {
      throw new CoreApiError('not_found', `not found in VCS (${method} answered ${JSON.stringify(value ?? null)})`);
    }
    if (!isObject(value)) {
      throw new CoreApiError('bad_answer', `the CoreAPI's ${method} result is not an object: ${JSON.stringify(result)?.slice(0, 120) ?? 'nothing'}`);
    }
    return value;
  }

  private withDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CoreApiError('timeout', `no answer from the CoreAPI within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs + DEADLINE_GRACE_MS,
      );
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  private failed(err: CoreApiError, method: string): void {
    if (!err.outage) {
      // An error about one call (a method this VCS lacks, say) is logged once, not once per event.
      const key = `${method} ${err.message}`;
      if (!this.reported.has(key) && err.kind !== 'not_found') {
        if (this.reported.size >= 100) this.reported.clear();
        this.reported.add(key);
        this.options.log.warn('VCS CoreAPI call failed; messages go out without these details', { method, reason: err.message });
      }
      return;
    }
    const now = this.now();
    this.pausedUntil = now + this.options.pauseMs;
    if (!this.failing) {
      this.options.log.warn('VCS CoreAPI is failing; messages go out without its details until it answers again', {
        endpoint: this.options.api.endpoint,
        reason: err.message,
        pause_ms: this.options.pauseMs,
      });
    }
    this.failing = { reason: err.message, at: now };
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = undefined;
    this.options.log.info('VCS CoreAPI answers again; messages have their details again', { endpoint: this.options.api.endpoint });
  }
}

/** Enrichment that is not set up: nothing is fetched, and each event records why. */
export function unconfiguredEnricher(reason: string): EnrichmentSource {
  return {
    async enrich(eventId, envelope, needs) {
      const record = [...new Set(needs)].map((object): EnrichmentEntry => {
        const id = validId(TARGETS[object].locate(eventId, envelope)?.id);
        return { object, ...(id ? { id } : {}), outcome: 'skipped', reason };
      });
      return { context: {}, record: record.sort(byTarget) };
    },
  };
}

function assemble(attempts: readonly Attempt[]): Enrichment {
  const context: Record<string, unknown> = {};
  for (const a of attempts) if (a.value) context[a.entry.object] = a.value;
  const record = attempts.map((a) => a.entry).sort(byTarget);
  const failed = record.filter((e) => e.outcome === 'failed');
  if (failed.length > 0) {
    const what = failed.map((f) => `${TARGETS[f.object].label} #${f.id} could not be fetched (${f.reason})`).join('; ');
    context.enrichment = {
      note: `Details from VCS are missing: ${what}.`,
      failed: failed.map((f) => ({ object: f.object, id: f.id, reason: f.reason })),
    };
  }
  return { context, record };
}
