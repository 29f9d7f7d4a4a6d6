import { formatError } from '../config/errors.ts';
import type { Config } from '../config/config.ts';
import { readServiceSettings, type ServiceSettings } from '../config/service-settings.ts';
import { AttemptLog } from '../deliver/attempt-log.ts';
import { Planner } from '../deliver/plan.ts';
import type { EnrichmentSource } from '../enrich/enricher.ts';
import { createEnrichment, readEnrichSettings } from '../enrich/setup.ts';
import { connectDestinations, type Connection } from '../deliver/senders.ts';
import { parseAllowList, type Cidr } from '../http/auth.ts';
import { createLogger, type Logger } from '../log.ts';
import { d1Store } from '../queue/drivers/d1.ts';
import type { SqlStore } from '../queue/drivers/outbox.ts';
import { DEFAULT_POLICY, type RetryPolicy } from '../queue/policy.ts';
import { bundledCompiler, loadBundle, stringVars, type RulesBundle } from './bundle.ts';
import type { WorkerEnv } from './env.ts';

/** Everything an invocation needs, built once per isolate. */
export interface WorkerContext {
  readonly env: WorkerEnv;
  readonly config: Config;
  readonly planner: Planner;
  readonly enricher: EnrichmentSource;
  readonly connections: ReadonlyMap<string, Connection>;
  readonly store: SqlStore;
  readonly log: Logger;
  /** The log lines of delivery attempts: one isolate's failed ones to a destination summed up. */
  readonly attempts: AttemptLog;
  readonly settings: ServiceSettings;
  readonly policy: RetryPolicy;
  readonly allowList: readonly Cidr[];
  readonly echo: boolean;
}

/** The Slack client calls fetch with itself as `this` and asks for `redirect: 'error'`; workerd accepts neither. */
const slackFetch: typeof fetch = (input, init) => fetch(input, { ...init, redirect: 'manual' });

/** Builds the context, or says why it cannot (the build validated the rules; settings come from vars). */
export function createContext(bundle: RulesBundle, env: WorkerEnv): WorkerContext | { errors: string[] } {
  const errors: string[] = [];
  const settings = readServiceSettings(env, errors);
  const allow = parseAllowList(typeof env.SWITCHBOARD_ALLOW_CIDRS === 'string' ? env.SWITCHBOARD_ALLOW_CIDRS : '');
  if (!allow.ok) errors.push(`SWITCHBOARD_ALLOW_CIDRS: ${allow.error}`);
  const enrich = readEnrichSettings(stringVars(env));
  if (!enrich.ok) errors.push(...enrich.errors);
  const loaded = loadBundle(bundle, env, { slackFetch });
  if (!loaded.ok) errors.push(...loaded.errors.map(formatError));
  const log = createLogger(undefined, settings.logLevel);
  // A credential that cannot be used (SMTP_URL not smtp://) stops the Node server from starting;
  // here it is a reason the Worker cannot start, like a bad setting, not an exception at every request.
  let connections: Map<string, Connection> | undefined;
  if (loaded.ok) {
    try {
      connections = connectDestinations(loaded.config, stringVars(env), log);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0 || !loaded.ok || !allow.ok || !enrich.ok || !connections) return { errors };
  return {
    env,
    config: loaded.config,
    planner: new Planner(loaded.config, bundledCompiler(bundle.specs)),
    enricher: createEnrichment(enrich.value, loaded.config.rules, log),
    connections,
    store: d1Store(env.DB),
    log,
    attempts: new AttemptLog(log),
    settings,
    policy: { ...DEFAULT_POLICY, maxAgeMs: settings.maxAgeMs },
    allowList: allow.value,
    echo: settings.echo,
  };
}
