import { createEnrichment, readEnrichSettings } from '../enrich/setup.ts';
import { adminApi } from '../http/admin.ts';
import { parseAllowList } from '../http/auth.ts';
import { createApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { Dispatcher } from '../queue/dispatcher.ts';
import { ReleaseStage } from '../queue/release-stage.ts';
import { RoutingStage } from '../queue/routing.ts';
import type { Routed } from '../queue/store.ts';
import { DEFAULT_POLICY } from '../queue/policy.ts';
import { pruneOld } from '../queue/prune.ts';
import { claimDataDir } from './data-dir-lock.ts';
import { startIntakeWorker } from './intake-worker.ts';
import { openStore } from './open-store.ts';
import { LiveConfig } from './live-config.ts';
import { readSettings } from './settings.ts';
import { batchedStdout } from './stdout-lines.ts';
import { sharedWriteLock } from './write-lock.ts';
import { counted } from '../words.ts';

const HOUR = 3_600_000;
/**
 * Under load, events committed within this long of a routing step's start are routed together by
 * the next: a step per commit (one event each at low concurrency) cost the main thread about a
 * fifth more CPU per event, which the intake thread then lacked. The first event after a quiet
 * spell is routed at once.
 */
const ROUTING_GATHER_MS = 5;

/** `switchboard serve`. Resolves with an exit code when it cannot start; runs until a signal otherwise. */
export async function runServer(env: NodeJS.ProcessEnv = process.env): Promise<number | void> {
  const settings = readSettings(env);
  const allow = parseAllowList(env.SWITCHBOARD_ALLOW_CIDRS ?? '');
  const enrichSettings = readEnrichSettings(env);
  const startupErrors = [
    ...(settings.ok ? [] : settings.errors),
    ...(allow.ok ? [] : [`SWITCHBOARD_ALLOW_CIDRS: ${allow.error}`]),
    ...(enrichSettings.ok ? [] : enrichSettings.errors),
  ];
  if (!settings.ok || !allow.ok || !enrichSettings.ok) {
    for (const e of startupErrors) console.error(`switchboard: ${e}`);
    return 1;
  }
  const s = settings.value;
  const claim = claimDataDir(s.dataDir);
  if (!claim.ok) {
    console.error(`switchboard: ${claim.error}`);
    return 1;
  }
  const log = createLogger(batchedStdout(), s.logLevel);
  const live = LiveConfig.start(s.rulesFile, { env, log });
  if ('errors' in live) {
    for (const e of live.errors) console.error(e);
    console.error(`switchboard: ${live.errors.length} error(s) in ${s.rulesFile}; not starting`);
    return 1;
  }
  const { config, version } = live.current;
  log.info(`loaded ${config.rules.length} rules and ${config.destinations.size} destinations`, { file: config.file, version });

  // The intake thread writes to the same file through its own connection: one lock for both.
  const writeLock = sharedWriteLock();
  const store = openStore(s, { writeLock, checkpoints: { everyMs: 100 } });
  // Read back from SQLite: what this line says is what commits do.
  log.info('outbox ready', { file: s.dbFile, synchronous: store.synchronous });
  // Read through `live` at each use: a reload swaps the configuration under them.
  const dispatcher = new Dispatcher(store, () => ({ destinations: live.current.config.destinations, connections: live.current.connections }), {
    log,
    policy: { ...DEFAULT_POLICY, maxAgeMs: s.maxAgeMs },
  });
  // What to fetch is read from the current rules for each event; the client and its cache stay.
  const enricher = createEnrichment(enrichSettings.value, config.rules, log);
  // Groups, send windows and flap damping hold messages; this releases them when they fall due.
  const release = new ReleaseStage(store, () => live.current.planner, { log, released: () => dispatcher.notify() });
  const routed = (r: Routed) => {
    if (r.deliveries.length > 0) dispatcher.notify();
    if (r.releaseAt.length > 0) release.notify();
  };
  const routing = new RoutingStage(store, () => live.current.planner, { log, routed, enricher, gatherMs: ROUTING_GATHER_MS });

  if (!env.SWITCHBOARD_TOKEN) log.warn('SWITCHBOARD_TOKEN is not set: anyone who can reach this port can post events');
  const control = createApp({
    log,
    ...(env.SWITCHBOARD_ADMIN_TOKEN ? { admin: adminApi({ store, token: env.SWITCHBOARD_ADMIN_TOKEN, replayed: () => dispatcher.notify(), planner: () => live.current.planner }) } : {}),
    health: () => ({ rules: live.current.config.rules.length, ...live.health() }),
  });
  const intake = await startIntakeWorker({
    data: {
      settings: s,
      ...(env.SWITCHBOARD_TOKEN ? { token: env.SWITCHBOARD_TOKEN } : {}),
      allowCidrs: env.SWITCHBOARD_ALLOW_CIDRS ?? '',
      echo: s.echo,
      writeLock: writeLock.buffer,
    },
    control,
    committed: () => routing.notify(),
    failed: (e) => {
      log.error('the HTTP intake failed; stopping', { error: e.message });
      process.exit(1);
    },
  }).catch((e: Error) => e);
  if (intake instanceof Error) {
    console.error(`switchboard: cannot receive events: ${intake.message}`);
    await store.close();
    return 1;
  }
  // Stopping by a signal is graceful from here on: before any delivery starts, and before the
  // start-up prune, which after a long stop may take a while and would otherwise leave SIGTERM its
  // default action (the process ends at once, and what was in flight goes out again after a restart).
  let pruning: ReturnType<typeof setInterval> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: no longer accepting events; finishing deliveries in flight`);
    clearInterval(pruning);
    await intake.stop();
    routing.stop();
    release.stop();
    await dispatcher.stop();
    await live.close();
    await store.close();
    claim.release();
    log.info('stopped');
    process.exit(0);
  };
  // `on`, not `once`: a second signal during shutdown must not kill the process half-way.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  log.info(`listening on http://${s.host}:${intake.port}/hooks/vcs`, { port: intake.port });
  // Events and deliveries left by an earlier run (a crash, a restart) go out now; what it held
  // goes out when it falls due.
  routing.notify();
  dispatcher.notify();
  release.notify();

  // Rules and templates are applied when they change; SIGHUP reloads on demand (where watching
  // files does not work, e.g. some network file systems).
  live.applied = () => dispatcher.notify(); // deliveries due to destinations the last configuration lacked
  if (s.watch) live.watch();
  process.on('SIGHUP', () => {
    if (live.reload() === 'unchanged') log.info('SIGHUP received: the rules and templates have not changed');
  });

  // A prune that fails (the file locked by another program for longer than SQLite waits) is tried
  // again an hour later; the server, already answering, goes on.
  const prune = async () => {
    try {
      const n = await pruneOld(store, s, live.current.config, Date.now());
      if (n > 0) log.info(`pruned ${counted(n, 'event')} older than the retention period that nothing waits on (delivered, taken by no rule, or repeats)`);
    } catch (e) {
      log.error('pruning failed; trying again in an hour', { error: (e as Error).message });
    }
  };
  await prune();
  pruning = setInterval(() => void prune(), HOUR);
  pruning.unref();

}
