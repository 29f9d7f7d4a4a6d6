import type { ExecutionContext, MessageBatch } from '@cloudflare/workers-types/index.ts';
import type { Hono } from 'hono';
import { adminApi } from '../http/admin.ts';
import { createApp } from '../http/app.ts';
import type { RulesBundle } from './bundle.ts';
import { consumeDead, consumeWork, enqueue } from './consumer.ts';
import { createContext, type WorkerContext } from './context.ts';
import type { DeadLetter, WorkerEnv, WorkMessage } from './env.ts';
import { QueueIntake } from './intake.ts';
import { sweep } from './sweep.ts';

/** The HTTP interface, the same as on Node, over D1 and the delivery queue. */
function createWorkerApp(cx: WorkerContext, bundle: RulesBundle): Hono {
  const { env, store, log } = cx;
  const adminToken = typeof env.SWITCHBOARD_ADMIN_TOKEN === 'string' && env.SWITCHBOARD_ADMIN_TOKEN ? env.SWITCHBOARD_ADMIN_TOKEN : undefined;
  const token = typeof env.SWITCHBOARD_TOKEN === 'string' && env.SWITCHBOARD_TOKEN ? env.SWITCHBOARD_TOKEN : undefined;
  return createApp({
    intake: new QueueIntake(store, env.DELIVERIES, cx.settings.idempotencyWindowMs, log),
    log,
    ...(token ? { token } : {}),
    allowList: cx.allowList,
    clientIp: (c) => c.req.header('cf-connecting-ip'),
    maxBodyBytes: cx.settings.maxBodyBytes,
    echo: cx.echo,
    ...(adminToken
      ? {
          admin: adminApi({
            store,
            token: adminToken,
            replayed: (ids) => enqueue(env.DELIVERIES, ids.map((delivery) => ({ kind: 'deliver', delivery }))),
            planner: () => cx.planner,
          }),
        }
      : {}),
    // The rules are built in: no reload, so no reload_error; built_at where Node has loaded_at.
    health: () => ({ runtime: 'workers', rules: cx.config.rules.length, config: { file: bundle.file, version: bundle.version, built_at: bundle.builtAt } }),
  });
}

/** The Worker's handlers, as workerd calls them. */
export interface SwitchboardWorker {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response>;
  queue(batch: MessageBatch<unknown>, env: WorkerEnv): Promise<void>;
  scheduled(controller: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void>;
}

/**
 * The Worker: `fetch` receives VCS events, `queue` routes and delivers them, `scheduled` (a cron
 * trigger) re-queues what a lost message left behind. Built by the generated entry around the
 * bundled rules.
 */
export function createWorker(bundle: RulesBundle): SwitchboardWorker {
  // Built once per isolate: a Worker's bindings and variables do not change while it lives.
  let cached: { cx: WorkerContext | { errors: string[] }; app?: Hono } | undefined;
  const context = (env: WorkerEnv) => {
    if (!cached) {
      const cx = createContext(bundle, env);
      cached = { cx, ...('errors' in cx ? {} : { app: createWorkerApp(cx, bundle) }) };
      if ('errors' in cx) for (const e of cx.errors) console.error(`switchboard: ${e}`);
    }
    return cached;
  };
  const ready = (env: WorkerEnv): WorkerContext => {
    const { cx } = context(env);
    if ('errors' in cx) throw new Error(`switchboard cannot start: ${cx.errors.join('; ')}`);
    return cx;
  };

  return {
    async fetch(request, env, ctx) {
      const { app, cx } = context(env);
      if (!app) {
        const errors = 'errors' in cx ? cx.errors : [];
        return Response.json({ ok: false, error: `switchboard cannot start: ${errors.join('; ')}` }, { status: 503 });
      }
      return app.fetch(request, env, ctx);
    },
    async queue(batch, env) {
      const cx = ready(env);
      const deadQueue = typeof env.DEAD_LETTER_QUEUE === 'string' ? env.DEAD_LETTER_QUEUE : 'switchboard-dead-letters';
      if (batch.queue === deadQueue) await consumeDead(batch as MessageBatch<DeadLetter>, cx);
      else await consumeWork(batch as MessageBatch<WorkMessage>, cx);
    },
    async scheduled(_controller, env, ctx) {
      ctx.waitUntil(sweep(ready(env)));
    },
  };
}
