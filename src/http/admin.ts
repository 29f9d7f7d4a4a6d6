import { Hono } from 'hono';
import type { EventStatus, Store } from '../queue/store.ts';
import { parseSince } from '../queue/since.ts';
import { secretsEqual } from './auth.ts';

const STATUSES: readonly EventStatus[] = ['delivered', 'pending', 'failed', 'dead', 'unrouted', 'duplicate'];

export interface AdminOptions {
  store: Store;
  token: string;
  /** Called after a replay, so delivery starts at once. */
  replayed?: () => void;
}

/** The operators' API under /api: list, explain and replay events. Every call needs the admin token. */
export function adminApi({ store, token, replayed }: AdminOptions): Hono {
  const api = new Hono();

  api.use(async (c, next) => {
    const presented = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (!presented || !(await secretsEqual(presented, token))) return c.json({ ok: false, error: 'missing or wrong admin token' }, 401);
    await next();
  });

  api.get('/events', async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !STATUSES.includes(status as EventStatus)) {
      return c.json({ ok: false, error: `status must be one of: ${STATUSES.join(', ')}` }, 400);
    }
    const sinceText = c.req.query('since');
    const since = sinceText === undefined ? undefined : parseSince(sinceText);
    if (since && !since.ok) return c.json({ ok: false, error: since.error }, 400);
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

  api.get('/events/:id', async (c) => {
    const explanation = await store.explain(c.req.param('id'));
    return explanation ? c.json({ ok: true, event: explanation }) : c.json({ ok: false, error: 'no such event' }, 404);
  });

  api.post('/events/:id/replay', async (c) => {
    const n = await store.replay(c.req.param('id'), Date.now());
    if (n === undefined) return c.json({ ok: false, error: 'no such event' }, 404);
    replayed?.();
    return c.json({ ok: true, requeued: n });
  });

  api.post('/dead/replay', async (c) => {
    const n = await store.replayDead(Date.now());
    replayed?.();
    return c.json({ ok: true, requeued: n });
  });

  api.delete('/dead', async (c) => c.json({ ok: true, purged: await store.purgeDead() }));

  return api;
}
