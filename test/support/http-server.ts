import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = { status?: number; headers?: Record<string, string>; body?: string };

/** Answers a request, at once or later (a promise: a slow server). */
export type Handler = (req: Recorded) => Answer | Promise<Answer>;

/** An HTTP server on 127.0.0.1 that records every request and answers through `handler`. */
export async function startHttpServer(handler: Handler): Promise<{ url: string; requests: Recorded[]; server: Server; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(rec);
      const answer = await handler(rec);
      // The client may have given up (a timeout) while the answer was held back.
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
