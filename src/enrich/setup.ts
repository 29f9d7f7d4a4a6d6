import { numberSetting } from '../config/service-settings.ts';
import type { Logger } from '../log.ts';
import { apiEndpoint, CoreApiClient, displayUrl } from './coreapi.ts';
import { Enricher, unconfiguredEnricher, type EnrichmentSource } from './enricher.ts';
import type { EnrichTarget } from './targets.ts';

/** Enrichment settings, from the environment (Node's process.env or a Worker's env alike). */
export interface EnrichSettings {
  /** Unset: enrichment is off. */
  readonly url?: string;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
  readonly pauseMs: number;
}

export const ENRICH_DEFAULTS = { timeoutMs: 3_000, cacheTtlSeconds: 60, cacheSize: 1_000, pauseMs: 10_000 } as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads VCS_API_*; errors name the variable and what it takes (never the key's value). */
export function readEnrichSettings(env: Env): { ok: true; value: EnrichSettings } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const url = env.VCS_API_URL?.trim() || undefined;
  if (url) {
    const parsed = apiEndpoint(url);
    if (!parsed.ok) errors.push(`VCS_API_URL: ${parsed.error}`);
  }
  const value: EnrichSettings = {
    ...(url ? { url } : {}),
    ...(env.VCS_API_KEY ? { apiKey: env.VCS_API_KEY } : {}),
    timeoutMs: numberSetting(env, 'VCS_API_TIMEOUT_MS', ENRICH_DEFAULTS.timeoutMs, errors, { min: 1, integer: true }),
    cacheTtlMs: numberSetting(env, 'VCS_API_CACHE_TTL_SECONDS', ENRICH_DEFAULTS.cacheTtlSeconds, errors) * 1_000,
    cacheSize: numberSetting(env, 'VCS_API_CACHE_SIZE', ENRICH_DEFAULTS.cacheSize, errors, { integer: true }),
    pauseMs: numberSetting(env, 'VCS_API_PAUSE_MS', ENRICH_DEFAULTS.pauseMs, errors, { integer: true }),
  };
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

/** The rules that ask for enrichment, and what for: for the start-up log. */
export function enrichingRules(rules: Iterable<{ readonly name: string; readonly enrich?: readonly EnrichTarget[] }>): string[] {
  return [...rules].filter((r) => (r.enrich?.length ?? 0) > 0).map((r) => `${r.name} (${r.enrich!.join(', ')})`);
}

/**
 * The enrichment source for a server: the CoreAPI when it is configured, else one that records why
 * nothing is fetched. Says at start-up what it will do, so a missing key is noticed at once.
 */
export function createEnrichment(
  settings: EnrichSettings,
  rules: Iterable<{ readonly name: string; readonly enrich?: readonly EnrichTarget[] }>,
  log: Logger,
  runtime: { fetch?: typeof fetch; now?: () => number } = {},
): EnrichmentSource {
  const asking = enrichingRules(rules);
  const missing = [!settings.url && 'VCS_API_URL', !settings.apiKey && 'VCS_API_KEY'].filter((m): m is string => Boolean(m));
  if (missing.length > 0) {
    const reason = `enrichment is not configured (${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set)`;
    if (asking.length > 0) {
      log.warn(`rules ask for details from the VCS CoreAPI but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: their messages go out without them`, {
        rules: asking.join('; '),
      });
    }
    return unconfiguredEnricher(reason);
  }
  const api = new CoreApiClient({ url: settings.url!, apiKey: settings.apiKey!, timeoutMs: settings.timeoutMs, ...(runtime.fetch ? { fetch: runtime.fetch } : {}) });
  const parsed = apiEndpoint(settings.url!);
  if (parsed.ok && parsed.url.protocol === 'http:' && !/^(127\.|localhost$|\[::1\]$)/.test(parsed.url.hostname)) {
    log.warn('VCS_API_URL uses plain http: the API key crosses the network unencrypted; use https', { endpoint: displayUrl(parsed.url) });
  }
  log.info(asking.length > 0 ? 'enrichment from the VCS CoreAPI ready' : 'VCS_API_URL is set, but no rule asks for enrichment', {
    endpoint: api.endpoint,
    timeout_ms: settings.timeoutMs,
    ...(asking.length > 0 ? { rules: asking.join('; ') } : {}),
  });
  return new Enricher({
    api,
    log,
    timeoutMs: settings.timeoutMs,
    cacheTtlMs: settings.cacheTtlMs,
    cacheSize: settings.cacheSize,
    pauseMs: settings.pauseMs,
    ...(runtime.now ? { now: runtime.now } : {}),
  });
}
