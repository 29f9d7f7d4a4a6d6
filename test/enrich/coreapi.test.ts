import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEndpoint, CoreApiClient, CoreApiError } from '../../src/enrich/coreapi.ts';
import { startCoreApi, type CoreApiStandIn } from '../support/coreapi.ts';
import { startHttpServer } from '../support/http-server.ts';
import { freePort } from '../support/ports.ts';

const KEY = 'coreapi-test-key-5b1e0c';
const ACME = { id: 12, name: 'ACME Telecom', balance: -3.5, credit: 500, currency: 'USD', currencies_id: 1 };

/** The CoreApiError a call fails with (the test fails if it succeeds). */
async function failure(p: Promise<unknown>): Promise<CoreApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CoreApiError);
    return e as CoreApiError;
  }
  throw new Error('the call succeeded');
}

describe('CoreApiClient against a local CoreAPI stand-in', () => {
  let api: CoreApiStandIn;
  beforeAll(async () => {
    api = await startCoreApi(KEY);
    api.objects.set('clients.get:12', ACME);
  });
  afterAll(() => api?.close());

  const client = (over: Partial<ConstructorParameters<typeof CoreApiClient>[0]> = {}) =>
    new CoreApiClient({ url: api.url, apiKey: KEY, timeoutMs: 2_000, ...over });

  it('posts a JSON-RPC 2.0 request with the X-Api-Key header and returns the result', async () => {
    const before = api.calls.length;
    expect(await client().call('clients.get', { id: 12 })).toEqual(ACME);
    expect(api.calls.slice(before)).toEqual([{ method: 'clients.get', id: 12, apiKey: KEY }]);
  });

  it('says the key was refused on HTTP 401, with the server\'s reason and without the key', async () => {
    const err = await failure(client({ apiKey: 'wrong-key-0000' }).call('clients.get', { id: 12 }));
    expect(err.kind).toBe('unauthorized');
    expect(err.outage).toBe(true);
    expect(err.message).toBe('the CoreAPI refused the API key (HTTP 401: utoken-auth-failed: Authentication Failed: invalid API key)');
    expect(err.message).not.toContain('wrong-key-0000');
  });

  it('says an unknown object was not found, which is not an outage', async () => {
    const err = await failure(client().call('clients.get', { id: 99 }));
    expect(err.kind).toBe('not_found');
    expect(err.outage).toBe(false);
    expect(err.message).toBe('not found in VCS: Object "clients(99)" was not found!');
  });

  it('gives up on a slow answer at its timeout', async () => {
    api.behaviour.set('clients.get:13', 'slow');
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 200 }).call('clients.get', { id: 13 }));
    const took = Date.now() - started;
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe('no answer from the CoreAPI within 200 ms');
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1_500);
    api.release();
  });

  it('rejects a malformed answer: an HTML page, a body that is not JSON-RPC, a result of another request', async () => {
    api.behaviour.set('clients.get:14', 'malformed');
    const html = await failure(client().call('clients.get', { id: 14 }));
    expect(html.kind).toBe('bad_answer');
    expect(html.message).toBe("the CoreAPI's answer is not JSON (HTTP 200, text/html): <html><body>Service temporarily unavailable</body></html>");

    api.behaviour.set('clients.get:15', 'not_json_rpc');
    const notRpc = await failure(client().call('clients.get', { id: 15 }));
    expect(notRpc.kind).toBe('bad_answer');
    expect(notRpc.message).toMatch(/^the CoreAPI's answer is not a JSON-RPC response \(no "result" or "error"\)/);

    const other = await startHttpServer(() => ({ headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":999,"result":{}}' }));
    try {
      const err = await failure(new CoreApiClient({ url: `${other.url}/api/`, apiKey: KEY, timeoutMs: 2_000 }).call('clients.get', { id: 12 }));
      expect(err.message).toBe('the CoreAPI answered request 999, not 1');
    } finally {
      await other.close();
    }
  });

  it('reports a 5xx as the API being unavailable', async () => {
    api.behaviour.set('clients.get:16', 'server_error');
    const err = await failure(client().call('clients.get', { id: 16 }));
    expect(err).toMatchObject({ kind: 'unavailable', message: 'the CoreAPI answered HTTP 502: Bad Gateway' });
  });

  it('reports a CoreAPI that is down (nothing listening) as unreachable', async () => {
    const port = await freePort();
    const err = await failure(new CoreApiClient({ url: `http://127.0.0.1:${port}/api/`, apiKey: KEY, timeoutMs: 2_000 }).call('clients.get', { id: 12 }));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/^could not reach the CoreAPI: .*ECONNREFUSED/);
  });

  it('never follows a redirect, which would carry the key to another host', async () => {
    const elsewhere = await startHttpServer(() => ({ body: '{}' }));
    const redirecting = await startHttpServer(() => ({ status: 302, headers: { location: `${elsewhere.url}/api/` } }));
    try {
      const err = await failure(new CoreApiClient({ url: `${redirecting.url}/api/`, apiKey: KEY, timeoutMs: 2_000 }).call('clients.get', { id: 12 }));
      expect(err.kind).toBe('bad_answer');
      expect(err.message).toBe(`the CoreAPI answered with a redirect (HTTP 302 to ${elsewhere.url}/api/); set VCS_API_URL to the final address`);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await Promise.all([elsewhere.close(), redirecting.close()]);
    }
  });

  it('takes a JSON-RPC error with HTTP 404 as not found, and other JSON-RPC errors as errors of that call', async () => {
    const server = await startHttpServer((req) => {
      const { id, method } = JSON.parse(req.body) as { id: number; method: string };
      if (method === 'clients.get') return { status: 404, body: JSON.stringify({ jsonrpc: '2.0', id, error: { message: 'Requested object was not found' } }) };
      return { body: JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } }) };
    });
    try {
      const c = new CoreApiClient({ url: `${server.url}/api/`, apiKey: KEY, timeoutMs: 2_000 });
      expect(await failure(c.call('clients.get', { id: 1 }))).toMatchObject({ kind: 'not_found' });
      expect(await failure(c.call('rates.tables.get', { id: 1 }))).toMatchObject({
        kind: 'rpc_error',
        message: 'the CoreAPI answered an error: Method not found (code -32601)',
        outage: false,
      });
    } finally {
      await server.close();
    }
  });

  it('removes the key from every message, even when a server echoes it back', async () => {
    const echo = await startHttpServer((req) => ({ status: 500, body: `bad key ${String(req.headers['x-api-key'])}` }));
    try {
      const err = await failure(new CoreApiClient({ url: `${echo.url}/api/`, apiKey: KEY, timeoutMs: 2_000 }).call('clients.get', { id: 1 }));
      expect(err.message).toBe('the CoreAPI answered HTTP 500: bad key [redacted]');
    } finally {
      await echo.close();
    }
  });
});

describe('VCS_API_URL', () => {
  it('takes the API address, or a bare billing host and adds /api/', () => {
    const at = (s: string) => {
      const r = apiEndpoint(s);
      return r.ok ? r.url.href : r.error;
    };
    expect(at('https://billing.example.com/api/')).toBe('https://billing.example.com/api/');
    expect(at('https://billing.example.com')).toBe('https://billing.example.com/api/');
    expect(at('http://10.0.0.5:8080/')).toBe('http://10.0.0.5:8080/api/');
    expect(at('billing.example.com')).toBe('expected an http(s) URL such as https://billing.example.com/api/, got something that is not a URL (no http:// or https:// at the start)');
    // A value that does not parse is never repeated: it may carry a password.
    expect(at('https://ops:s3cret@billing example.com/api/')).toBe('expected an http(s) URL such as https://billing.example.com/api/, got something that is not a URL');
    expect(at('ftp://billing.example.com/api/')).toBe('expected an http(s) URL such as https://billing.example.com/api/, got a ftp: URL');
  });

  it('is shown without credentials', () => {
    expect(new CoreApiClient({ url: 'https://user:secret@billing.example.com/api/?k=1', apiKey: KEY, timeoutMs: 1 }).endpoint).toBe('https://billing.example.com/api/');
  });
});
