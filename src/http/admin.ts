import { Hono, type Env, type Handler } from 'hono';
import { trialJson, tryEvent } from '../check/trial.ts';
import type { Planner } from '../deliver/plan.ts';
import { parseEnvelope } from '../events/envelope.ts';
import { EVENT_STATUSES, type EventStatus, type Store } from '../queue/store.ts';
import { parseSince } from '../queue/since.ts';
import { secretsEqual } from './auth.ts';

export interface AdminOptions {
  store: Store;
  token: string;
  /** Called with the deliveries a replay queued again, so that sending starts at once. */
  replayed?: (deliveries: number[]) => void | Promise<void>;
  /** The current rules, for `POST /api/test`. */
  planner?: () => Planner;
}

/** The operators' API under /api: list, explain and replay events. Every call needs the admin token. */
export function adminApi({ store, token, replayed, planner }: AdminOptions): Hono {
  const api = new Hono();

  api.use(async (c, next) => {
    const presented = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (!presented || !(await secretsEqual(presented, token))) return c.json({ ok: false, error: 'missing or wrong admin token' }, 401);
    await next();
  });

  // The methods of each path, for the 405 the others get (at the end). A GET route answers HEAD too.
  const methods = new Map<string, string[]>();
  const on = <P extends string>(method: 'GET' | 'POST' | 'DELETE', path: P, handler: Handler<Env, P>) => {
    api.on(method, path, handler);
    methods.set(path, [...(methods.get(path) ?? []), ...(method === 'GET' ? ['GET', 'HEAD'] : [method])]);
  };

  on('GET', '/events', async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !EVENT_STATUSES.includes(status as EventStatus)) {
      return c.json({ ok: false, error: `status must be one of: ${EVENT_STATUSES.join(', ')}` }, 400);
    }
    const sinceText = c.req.query('since');
    const since = sinceText === undefined ? undefined : parseSince(sinceText);
    if (since && !since.ok) return c.json({ ok: false, error: `since ${since.error}` }, 400);
    // Checked, not coerced: SQLite refuses a fractional LIMIT, which came back as a 500. Above 1000
    // it is capped, so one call cannot read the whole outbox.
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) return c.json({ ok: false, error: `limit must be a whole number of at least 1, got "${limitText}"` }, 400);
    const events = await store.events({
      ...(status ? { status: status as EventStatus } : {}),
      ...(since ? { since: since.value } : {}),
      limit: Math.min(1_000, limit),
    });
    return c.json({ ok: true, events });
  });

  on('GET', '/events/:id', async (c) => {
    const explanation = await store.explain(c.req.param('id'));
    return explanation ? c.json({ ok: true, event: explanation }) : c.json({ ok: false, error: 'no such event' }, 404);
  });

  on('POST', '/events/:id/replay', async (c) => {
    const ids = await store.replay(c.req.param('id'), Date.now());
    if (ids === undefined) return c.json({ ok: false, error: 'no such event' }, 404);
    await replayed?.(ids);
    return c.json({ ok: true, requeued: ids.length });
  });

  // Every dead delivery, or every failed one, again; `?destination=` takes one destination's only,
  // and `&to=` sends them to another (the first was renamed).
  for (const status of ['dead', 'failed'] as const) {
    on('POST', `/${status}/replay`, async (c) => {
      const destination = c.req.query('destination');
      const to = c.req.query('to');
      if (to !== undefined && destination === undefined) return c.json({ ok: false, error: '"to" needs "destination": the destination whose deliveries go to another' }, 400);
      const ids = await store.replayAll(Date.now(), { status, destination, to });
      await replayed?.(ids);
      return c.json({ ok: true, requeued: ids.length });
    });
  }

  on('DELETE', '/dead', async (c) => c.json({ ok: true, purged: await store.purgeDead() }));

  // What `switchboard test --json` prints for one payload, over HTTP: what every rule did with it
  // and why, and the messages they would send. Nothing is stored or sent.
  on('POST', '/test', async (c) => {
    if (!planner) return c.json({ ok: false, error: 'not available' }, 404);
    const source = 'the request body';
    const parsed = parseEnvelope(await c.req.text());
    if (!parsed.ok) return c.json({ source, ok: false, error: parsed.error }, 400);
    return c.json(trialJson(tryEvent(planner(), parsed.eventId, parsed.value), source));
  });

  // A path it knows, asked with another method (GET /api/dead): 405 and what it takes, not 404.
  // After the token check, as every call here: without the token, the paths are not told.
  for (const [path, allowed] of methods) {
    const allow = allowed.join(', ');
    api.all(path, (c) => c.json({ ok: false, error: `${c.req.method} is not allowed on ${new URL(c.req.url).pathname}; use ${allow}` }, 405, { allow }));
  }

  return api;
}
