/** The baseline: a bare Hono endpoint on @hono/node-server that parses the JSON body and answers 200. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/hooks/vcs', async (c) => {
  const body = (await c.req.json()) as { event?: { events_id?: string } };
  return c.json({ ok: true, events_id: body.event?.events_id });
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 0) }, (info) => console.log(`listening on http://127.0.0.1:${info.port}/`));
