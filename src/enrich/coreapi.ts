/**
 * A JSON-RPC 2.0 client for the VCS CoreAPI (`POST https://<billing-host>/api/`, header `X-Api-Key`).
 * Only the global fetch and AbortSignal: it runs on Node and on Workers alike.
 */

/** Why a call failed. The first five mean the CoreAPI as a whole is not usable right now. */
export type FailureKind = 'timeout' | 'unreachable' | 'unauthorized' | 'unavailable' | 'bad_answer' | 'not_found' | 'rpc_error';

const OUTAGES: ReadonlySet<FailureKind> = new Set(['timeout', 'unreachable', 'unauthorized', 'unavailable', 'bad_answer']);

export class CoreApiError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'CoreApiError';
  }

  /** The whole API failed (not this one object): worth pausing calls for. */
  get outage(): boolean {
    return OUTAGES.has(this.kind);
  }
}

/** What the enricher needs from a CoreAPI: one call, and an address safe to show in logs. */
export interface CoreApi {
  readonly endpoint: string;
  call(method: string, params: Record<string, unknown>): Promise<unknown>;
}

export interface CoreApiOptions {
  /** `https://<billing-host>/api/`; a bare host (path `/`) gets `/api/` added. */
  url: string;
  apiKey: string;
  /** The whole call, answer body included, gives up after this long. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The API address with any user, password, query or fragment removed: for logs and messages. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** VCS_API_URL as the address to POST to, or why it is not one. */
export function apiEndpoint(text: string): { ok: true; url: URL } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    // Not echoed: the value may carry a user and password, and this message reaches the log (and,
    // on Workers, the 503 that anyone may fetch). Saying what is wrong with it is enough.
    const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim()) ? '' : ' (no http:// or https:// at the start)';
    return { ok: false, error: `expected an http(s) URL such as https://billing.example.com/api/, got something that is not a URL${hint}` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, error: `expected an http(s) URL such as https://billing.example.com/api/, got a ${url.protocol} URL` };
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/';
  return { ok: true, url };
}

const snippet = (s: string) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 120 ? `${one.slice(0, 119)}…` : one;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class CoreApiClient implements CoreApi {
  readonly endpoint: string;
  private readonly url: URL;
  private readonly fetch: typeof fetch;
  private seq = 0;

  constructor(private readonly options: CoreApiOptions) {
    const parsed = apiEndpoint(options.url);
    if (!parsed.ok) throw new Error(`VCS_API_URL: ${parsed.error}`);
    this.url = parsed.url;
    this.endpoint = displayUrl(parsed.url);
    // Called unbound: Workers' fetch throws "Illegal invocation" when called as a method of another object.
    const f = options.fetch;
    this.fetch = f ? (input, init) => f(input, init) : (input, init) => fetch(input, init);
  }

  /** The method's `result`; throws a CoreApiError saying what went wrong, never with the key in it. */
  async call(method: string, params: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.request(method, params);
    } catch (e) {
      if (e instanceof CoreApiError) throw new CoreApiError(e.kind, this.redact(e.message));
      throw new CoreApiError('unreachable', this.redact(`could not reach the CoreAPI: ${describeNetworkError(e)}`));
    }
  }

  private async request(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = ++this.seq;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const timedOut = () => new CoreApiError('timeout', `no answer from the CoreAPI within ${this.options.timeoutMs} ms`);
    let res: Response;
    let body: string;
    try {
      res = await this.fetch(this.url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': this.options.apiKey, 'user-agent': 'switchboard' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal,
        // Never follow: a redirect to another host would take the X-Api-Key header with it.
        redirect: 'manual',
      });
      body = await res.text();
    } catch (e) {
      if (signal.aborted) throw timedOut();
      throw e;
    }
    const status = res.status;
    if (status >= 300 && status < 400) {
      const to = res.headers.get('location');
      throw new CoreApiError('bad_answer', `the CoreAPI answered with a redirect (HTTP ${status}${to ? ` to ${to}` : ''}); set VCS_API_URL to the final address`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const error = isObject(json) && isObject(json.error) ? json.error : undefined;
    const errorText = error ? rpcErrorText(error) : '';
    if (status === 401 || status === 403) {
      throw new CoreApiError('unauthorized', `the CoreAPI refused the API key (HTTP ${status}${errorText ? `: ${errorText}` : ''})`);
    }
    if (error && (status === 404 || rpcErrorCode(error) === 'not_found')) {
      throw new CoreApiError('not_found', `not found in VCS${errorText ? `: ${errorText.replace(/^not_found:\s*/, '')}` : ''}`);
    }
    if (status === 429 || status >= 500) {
      throw new CoreApiError('unavailable', `the CoreAPI answered HTTP ${status}${errorText ? `: ${errorText}` : body ? `: ${snippet(body)}` : ''}`);
    }
    if (error) {
      const code = rpcErrorCode(error);
      if (code === 'utoken-auth-failed' || code === 'forbidden') throw new CoreApiError('unauthorized', `the CoreAPI refused the API key: ${errorText}`);
      throw new CoreApiError('rpc_error', `the CoreAPI answered an error: ${errorText}`);
    }
    if (json === undefined) {
      const type = res.headers.get('content-type') ?? 'no content type';
      throw new CoreApiError('bad_answer', `the CoreAPI's answer is not JSON (HTTP ${status}, ${type}): ${snippet(body) || 'empty body'}`);
    }
    if (status < 200 || status >= 300) throw new CoreApiError('unavailable', `the CoreAPI answered HTTP ${status}`);
    if (!isObject(json) || !('result' in json)) {
      throw new CoreApiError('bad_answer', `the CoreAPI's answer is not a JSON-RPC response (no "result" or "error"): ${snippet(body)}`);
    }
    if (json.id !== undefined && json.id !== null && String(json.id) !== String(id)) {
      throw new CoreApiError('bad_answer', `the CoreAPI answered request ${String(json.id)}, not ${id}`);
    }
    return json.result;
  }

  /** The key must never reach a log line or the outbox, even when a server echoes it back. */
  private redact(text: string): string {
    const key = this.options.apiKey;
    return key ? text.split(key).join('[redacted]') : text;
  }
}

/** JSON-RPC errors from the CoreAPI: `{message: "not_found: Object ...", data: {code, message}}`, or standard `{code, message}`. */
function rpcErrorCode(error: Record<string, unknown>): string | undefined {
  const data = isObject(error.data) ? error.data : undefined;
  if (typeof data?.code === 'string') return data.code;
  if (typeof error.code === 'string') return error.code;
  const prefix = typeof error.message === 'string' ? error.message.match(/^([a-z][\w-]*):/)?.[1] : undefined;
  return prefix;
}

function rpcErrorText(error: Record<string, unknown>): string {
  const message = typeof error.message === 'string' ? error.message : '';
  const code = typeof error.code === 'number' ? ` (code ${error.code})` : '';
  return snippet(message || JSON.stringify(error)) + code;
}

/** Node's fetch says only "fetch failed"; the reason is in its cause. */
function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err?.cause;
  if (cause?.message) return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
  return cause?.code ?? err?.message ?? String(e);
}
