import type { SendResult } from './channel.ts';
import { httpOutcome, networkOutcome } from './outcome.ts';

/** One HTTP request a channel makes, and what it needs of the answer. */
export interface HttpPostRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

export interface HttpPostAnswer {
  readonly status: number;
  /** The start of the body, for the reason of a failure. */
  readonly text: string;
  readonly retryAfter: string | null;
}

/**
 * How a channel sends an HTTP request: fetch on every runtime by default; Node passes its own
 * client, which costs a fraction of fetch's CPU per request. Redirects are not followed on either
 * (a 3xx is the answer), so both runtimes treat a moved URL alike and no header follows a redirect.
 */
export type HttpPost = (request: HttpPostRequest) => Promise<HttpPostAnswer>;

export const TEXT_KEPT = 300;

/** `HttpPost` on fetch. */
export function fetchPost(fetchFn: typeof fetch = (input, init) => fetch(input, init)): HttpPost {
  return async ({ url, method, headers, body, timeoutMs }) => {
    const res = await fetchFn(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: (await res.text()).slice(0, TEXT_KEPT), retryAfter: res.headers.get('retry-after') };
  };
}

/** Sends one request and classifies the answer (or the failure to get one), as every HTTP channel does. */
export async function sendHttp(post: HttpPost, request: HttpPostRequest): Promise<SendResult> {
  try {
    const res = await post(request);
    return httpOutcome(res.status, res.text, res.retryAfter);
  } catch (e) {
    return networkOutcome(e);
  }
}
