import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseEnvelope, type VcsEvent } from '../events/envelope.ts';
import { newEventId } from '../events/id.ts';
import type { Logger } from '../log.ts';
import type { Hono as HonoApp } from 'hono';
import { allowed, presentedTokens, secretsEqual, type Cidr } from './auth.ts';

/** An event that passed every check and is about to be acknowledged. */
export interface ReceivedEvent {
  readonly id: string;
  /** The canonical event id used for routing. */
  readonly eventId: string;
  readonly envelope: VcsEvent;
  readonly raw: string;
  readonly receivedAt: number;
}

/** Where accepted events go. The 200 is sent when `accept` resolves, so it must be safe by then. */
export interface Intake {
  accept(event: ReceivedEvent): Promise<{ duplicate?: boolean }>;
}

export interface AppOptions {
  /** Where hook requests go; without it the app has no hook (the Node server's control half). */
  intake?: Intake;
  log: Logger;
  /** When set, every hook request must carry it (query, path segment or Bearer header). */
  token?: string;
  /** When set, only these client networks may call the hook. */
  allowList?: readonly Cidr[];
  /** The client's address as the runtime sees it. */
  clientIp?: (c: Context) => string | undefined;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Answer with the payload itself, for VCS versions before 3.17 whose "before" handlers need it. */
  echo?: boolean;
  /** The operators' API, mounted under /api when given (see admin.ts). */
  admin?: HonoApp;
  /** Extra fields for /healthz. */
  health?: () => Record<string, unknown>;
  /**
   * Answers every request other than the hook's, instead of this app (on Node the hook is served
   * by its own thread, and health and the operators' API by the main one).
   */
  forward?: (request: Request) => Promise<Response>;
}

export const HOOK_PATH = '/hooks/vcs';
export const DEFAULT_MAX_BODY = 1024 * 1024;

const problem = (c: Context, status: 400 | 401 | 403 | 404 | 405 | 413 | 500 | 503, error: string) =>
  c.json({ ok: false, error }, status);

/** The HTTP interface, the same on every runtime. */
export function createApp(options: AppOptions): Hono {
  const { intake, log } = options;
  // Not strict: a handler URL typed into VCS with a trailing slash (/hooks/vcs/?token=...) works.
  const app = new Hono({ strict: false });
  if (intake) hookRoutes(app, intake, options);
  if (options.forward) {
    const forward = options.forward;
    app.all('*', (c) => forward(c.req.raw));
  } else {
    controlRoutes(app, options);
  }
  app.onError((err, c) => {
    log.error('unexpected error while handling a request', { error: err.message });
    return problem(c, 500, 'internal error');
  });
  return app;
}

/** /healthz, the operators' API, and what is not found. */
function controlRoutes(app: Hono, options: AppOptions): void {
  app.get('/healthz', (c) => c.json({ ok: true, ...(options.health?.() ?? {}) }));

  if (options.admin) app.route('/api', options.admin);
  app.notFound((c) => problem(c, 404, `no route for ${c.req.method} ${new URL(c.req.url).pathname.startsWith(HOOK_PATH) ? HOOK_PATH + '/…' : new URL(c.req.url).pathname}`));
}

/** POST /hooks/vcs: checks, reads and commits an event, then answers. */
function hookRoutes(app: Hono, intake: Intake, options: AppOptions): void {
  const { log, token, allowList, echo = false } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const guard = async (c: Context, next: () => Promise<void>) => {
    const ip = options.clientIp?.(c);
    if (allowList && allowList.length > 0 && !allowed(ip, allowList)) {
      log.warn('rejected hook request from an address outside the allow-list', { ip });
      return problem(c, 403, 'this client address is not allowed');
    }
    if (token) {
      const presented = presentedTokens(new URL(c.req.url), HOOK_PATH, c.req.header('authorization'));
      const right = await Promise.all(presented.map((p) => secretsEqual(p, token)));
      if (right.length === 0 || right.includes(false)) {
        log.warn('rejected hook request with a missing or wrong token', { ip });
        return problem(c, 401, 'missing or wrong token');
      }
    }
    await next();
  };

  const tooLarge = (c: Context) => {
    log.warn('rejected an oversized hook request', { limit_bytes: maxBodyBytes });
    // The rest of the body is never read: the connection cannot carry another request.
    c.header('connection', 'close');
    return problem(c, 413, `body larger than ${maxBodyBytes} bytes`);
  };
  const streamingLimit = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });

  // The client went away (or the connection broke) before its body arrived whole: its doing, not an
  // error of the server's, and nothing was stored or acknowledged.
  const unreadable = (c: Context, e: unknown) => {
    log.warn('a hook request ended before its body arrived whole; nothing was stored', { ip: options.clientIp?.(c), error: (e as Error).message });
    return problem(c, 400, `the body could not be read whole: ${(e as Error).message}`);
  };

  // With a Content-Length (what VCS sends) the size is known before reading, and the body is read the
  // fast way; only a chunked body is counted while it streams, which costs more per request.
  const limit = async (c: Context, next: () => Promise<void>) => {
    const length = c.req.header('content-length');
    if (length === undefined) {
      // The limit reads the whole body before `next`: a failure before then is the body's.
      let read = false;
      try {
        return await streamingLimit(c, async () => {
          read = true;
          await next();
        });
      } catch (e) {
        if (read) throw e;
        return unreadable(c, e);
      }
    }
    if (Number(length) > maxBodyBytes) return tooLarge(c);
    await next();
  };

  const receive = async (c: Context) => {
    const started = Date.now();
    let raw: string;
    try {
      raw = await c.req.text();
    } catch (e) {
      return unreadable(c, e);
    }
    const parsed = parseEnvelope(raw);
    if (!parsed.ok) {
      log.warn('rejected a malformed hook request', { error: parsed.error });
      return problem(c, 400, parsed.error);
    }
    const received: ReceivedEvent = { id: newEventId(started), eventId: parsed.eventId, envelope: parsed.value, raw, receivedAt: started };
    let outcome: { duplicate?: boolean };
    try {
      outcome = await intake.accept(received);
    } catch (e) {
      log.error('could not accept an event; VCS will show this call as failed', { events_id: parsed.eventId, error: (e as Error).message });
      return problem(c, 503, 'the event could not be stored; nothing was acknowledged');
    }
    log.info('event received', {
      id: received.id,
      events_id: parsed.value.event.events_id,
      object_id: parsed.value.event.object_id,
      duplicate: outcome.duplicate || undefined,
      ms: Date.now() - started,
    });
    if (echo) return c.body(raw, 200, { 'content-type': 'application/json' });
    return c.json({ ok: true, id: received.id, events_id: parsed.eventId, ...(outcome.duplicate ? { duplicate: true } : {}) });
  };

  for (const path of [HOOK_PATH, `${HOOK_PATH}/:token`]) {
    app.post(path, guard, limit, receive);
    app.all(path, (c) => {
      c.header('allow', 'POST');
      return problem(c, 405, 'use POST');
    });
  }
}
