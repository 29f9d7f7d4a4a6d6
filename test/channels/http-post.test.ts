import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchPost, type HttpPost } from '../../src/channels/http-post.ts';
import { networkOutcome } from '../../src/channels/outcome.ts';
import { nodeHttpPost } from '../../src/node/http-post.ts';
import { startHttpServer, type Answer } from '../support/http-server.ts';
import { freePort } from '../support/ports.ts';

// Node posts webhooks with its own client, Workers with fetch: both must answer alike.
describe.each<[string, HttpPost]>([
  ['fetch', fetchPost()],
  ["Node's client", nodeHttpPost],
])('posting a webhook with %s', (_name, post) => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let release: () => void = () => {};
  beforeAll(async () => {
    server = await startHttpServer((req): Answer | Promise<Answer> => {
      if (req.url === '/slow') return new Promise((done) => (release = () => done({ status: 200 })));
      if (req.url === '/busy') return { status: 429, headers: { 'retry-after': '7' }, body: 'slow down' };
      if (req.url === '/moved') return { status: 301, headers: { location: '/elsewhere' } };
      if (req.url === '/long') return { status: 500, body: 'x'.repeat(10_000) };
      return { status: 204 };
    });
  });
  afterAll(async () => {
    release();
    await server.close();
  });
  const request = (path: string, timeoutMs = 5_000) => ({ url: `${server.url}${path}`, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"a":"é"}', timeoutMs });

  it('sends the method, headers and body, and reads the status', async () => {
    expect(await post(request('/ok'))).toEqual({ status: 204, text: '', retryAfter: null });
    const seen = server.requests.at(-1)!;
    expect([seen.method, seen.headers.authorization, seen.headers['content-type'], seen.body]).toEqual(['POST', 'Bearer t', 'application/json', '{"a":"é"}']);
  });

  it('reads Retry-After, keeps only the start of a long body, and does not follow a redirect', async () => {
    expect(await post(request('/busy'))).toEqual({ status: 429, text: 'slow down', retryAfter: '7' });
    expect((await post(request('/long'))).text).toHaveLength(300);
    expect((await post(request('/moved'))).status).toBe(301);
  });

  it('times out, and says so', async () => {
    const error = await post(request('/slow', 200)).catch((e: unknown) => e);
    release();
    expect(networkOutcome(error)).toEqual({ ok: false, retry: true, reason: 'network error: timed out' });
  });

  it('names a refused connection', async () => {
    const error = await post({ ...request('/'), url: `http://127.0.0.1:${await freePort()}/` }).catch((e: unknown) => e);
    expect(networkOutcome(error)).toMatchObject({ ok: false, retry: true, reason: expect.stringContaining('ECONNREFUSED') });
  });
});

describe("Node's client", () => {
  it("sends a URL's user and password as Basic authorization, as node:http did, unless the destination set its own", async () => {
    const server = await startHttpServer(() => ({ status: 204 }));
    try {
      const url = server.url.replace('http://', 'http://hook%40ops:s%3Acret@');
      await nodeHttpPost({ url: `${url}/in?x=1`, method: 'POST', headers: {}, body: '{}', timeoutMs: 5_000 });
      await nodeHttpPost({ url: `${url}/in`, method: 'POST', headers: { Authorization: 'Bearer mine' }, body: '{}', timeoutMs: 5_000 });
      expect(server.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        ['/in?x=1', `Basic ${Buffer.from('hook@ops:s:cret').toString('base64')}`],
        ['/in', 'Bearer mine'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('times out on an answer whose body never ends', async () => {
    // Headers at once, then a body that stalls: the request still ends within its time.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    try {
      const { port } = server.address() as AddressInfo;
      const error = await nodeHttpPost({ url: `http://127.0.0.1:${port}/`, method: 'POST', headers: {}, body: '{}', timeoutMs: 300 }).catch((e: unknown) => e);
      expect(networkOutcome(error)).toEqual({ ok: false, retry: true, reason: 'network error: timed out' });
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
