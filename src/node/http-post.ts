import http from 'node:http';
import https from 'node:https';
import { TEXT_KEPT, type HttpPost } from '../channels/http-post.ts';

// Kept-alive connections: a burst of deliveries to one receiver reuses a few sockets.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * `HttpPost` on Node's own client: about a quarter of the CPU of Node's fetch per request, which
 * is most of the cost of delivering to a webhook. Errors are those of node:http (`ECONNREFUSED`);
 * a timeout rejects with a `TimeoutError`, as fetch's does.
 */
export const nodeHttpPost: HttpPost = ({ url, method, headers, body, timeoutMs }) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const agent = agents[target.protocol as keyof typeof agents];
    const req = client.request(target, { method, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      // Only the start is kept; the rest is read and dropped so the connection can be reused.
      res.on('data', (chunk: string) => {
        if (text.length < TEXT_KEPT) text += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, text: text.slice(0, TEXT_KEPT), retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null });
      });
      res.on('error', fail);
    });
    function fail(e: Error) {
      clearTimeout(timer);
      reject(e);
    }
    const timer = setTimeout(() => {
      const e = new Error(`no answer within ${timeoutMs} ms`);
      e.name = 'TimeoutError';
      req.destroy(e);
    }, timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
