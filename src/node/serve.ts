import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { formatError } from '../config/errors.ts';
import { sendNow } from '../deliver/direct.ts';
import { Planner } from '../deliver/plan.ts';
import { closeDestinations, connectDestinations } from '../deliver/senders.ts';
import { parseAllowList } from '../http/auth.ts';
import { createApp, DEFAULT_MAX_BODY, type Intake } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { loadRulesFile } from './rules-file.ts';
import { compileTemplate } from './template-compiler.ts';

/** `switchboard serve`: the HTTP receiver with in-process delivery. Returns the exit code on failure. */
export async function runServer(env: NodeJS.ProcessEnv = process.env): Promise<number | void> {
  const log = createLogger();
  const rulesPath = env.RULES_FILE || 'rules.yaml';
  const loaded = loadRulesFile(rulesPath, env);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatError(e));
    console.error(`switchboard: ${loaded.errors.length} error(s) in ${rulesPath}; not starting`);
    return 1;
  }
  const config = loaded.config;
  const allow = parseAllowList(env.SWITCHBOARD_ALLOW_CIDRS ?? '');
  if (!allow.ok) {
    console.error(`switchboard: SWITCHBOARD_ALLOW_CIDRS: ${allow.error}`);
    return 1;
  }
  const maxBodyBytes = env.SWITCHBOARD_MAX_BODY_BYTES ? Number(env.SWITCHBOARD_MAX_BODY_BYTES) : DEFAULT_MAX_BODY;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    console.error('switchboard: SWITCHBOARD_MAX_BODY_BYTES must be a positive whole number of bytes');
    return 1;
  }
  log.info(`loaded ${config.rules.length} rules and ${config.destinations.size} destinations`, { file: config.file });
  const planner = new Planner(config, compileTemplate);
  const connections = connectDestinations(config, env, log);
  const inFlight = new Set<Promise<unknown>>();

  // Best-effort, in-process delivery: routing produces deliveries, this sends them.
  const intake: Intake = {
    async accept(event) {
      const plan = planner.plan(event);
      for (const d of plan.deliveries) {
        const p = sendNow(d, connections, log, event.id).catch((e) => log.error('delivery crashed', { error: (e as Error).message }));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      return { rules: plan.matched.length };
    },
  };

  if (!env.SWITCHBOARD_TOKEN) log.warn('SWITCHBOARD_TOKEN is not set: anyone who can reach this port can post events');
  const app = createApp({
    intake,
    log,
    ...(env.SWITCHBOARD_TOKEN ? { token: env.SWITCHBOARD_TOKEN } : {}),
    allowList: allow.value,
    clientIp: (c) => getConnInfo(c).remote.address,
    maxBodyBytes,
    echo: env.SWITCHBOARD_ECHO === '1' || env.SWITCHBOARD_ECHO === 'true',
    health: () => ({ rules: config.rules.length }),
  });

  const host = env.HOST || '0.0.0.0';
  const port = env.PORT === undefined || env.PORT === '' ? 8787 : Number(env.PORT);
  const server: ServerType = await new Promise((ready) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      log.info(`listening on http://${host}:${info.port}/hooks/vcs`, { port: info.port });
      ready(s);
    });
  });

  const stop = async (signal: string) => {
    log.info(`${signal} received: stopping`);
    server.close();
    await Promise.allSettled([...inFlight]);
    await closeDestinations(connections);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
