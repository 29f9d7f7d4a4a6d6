import { startHttpServer, type Recorded } from './http-server.ts';

export interface SlackPost {
  channel: string;
  text: string;
  blocks?: unknown[];
  token: string | undefined;
  /** Set for a thread reply: the ts of the message it answers. */
  thread_ts?: string;
  /** The ts Slack gave the message (posted ones). */
  ts?: string;
}

export type SlackAnswer = { status?: number; headers?: Record<string, string>; body: Record<string, unknown> };

function parse(req: Recorded): Record<string, string> {
  if (String(req.headers['content-type']).includes('application/json')) return JSON.parse(req.body);
  return Object.fromEntries(new URLSearchParams(req.body));
}

/**
 * A local server that answers like the Slack Web API's chat.postMessage. `answer` decides each
 * reply (default `{ok: true}`), so tests can return errors and 429s as Slack does.
 */
export async function startSlackApi(answer: (post: SlackPost, n: number) => SlackAnswer | undefined = () => undefined) {
  const posts: SlackPost[] = [];
  const attempts: SlackPost[] = [];
  const server = await startHttpServer((req) => {
    if (!req.url.startsWith('/api/chat.postMessage')) return { status: 404, body: '{"ok":false,"error":"unknown_method"}' };
    const p = parse(req);
    const post: SlackPost = {
      channel: p.channel ?? '',
      text: p.text ?? '',
      ...(p.blocks ? { blocks: typeof p.blocks === 'string' ? JSON.parse(p.blocks) : p.blocks } : {}),
      token: req.headers.authorization?.replace(/^Bearer /, ''),
      ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}),
    };
    attempts.push(post);
    const a = answer(post, attempts.length) ?? { body: { ok: true } };
    // Like Slack's: seconds, and a per-channel sequence that makes each one unique.
    const ts = `${Math.floor(Date.now() / 1000)}.${String(attempts.length).padStart(6, '0')}`;
    if (a.body.ok) posts.push({ ...post, ts });
    return {
      status: a.status ?? 200,
      headers: { 'content-type': 'application/json', ...(a.headers ?? {}) },
      body: JSON.stringify(a.body.ok ? { channel: post.channel, ts, ...a.body } : a.body),
    };
  });
  return { url: `${server.url}/api/`, posts, attempts, close: server.close };
}
