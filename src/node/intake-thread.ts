/**
 * The HTTP side of `switchboard serve`, on a thread of its own: it reads, checks and commits each
 * event, and answers VCS, while the main thread routes and delivers. Answering then never waits
 * for templates, holds or sends, and the two halves use both cores. Requests for anything but the
 * hook (/healthz, /api) are passed to the main thread, which has the rules and the operators' API.
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { parseAllowList } from '../http/auth.ts';
import { createApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { DurableIntake } from '../queue/intake.ts';
import { openStore } from './open-store.ts';
import type { NodeSettings } from './settings.ts';
import { batchedStdout } from './stdout-lines.ts';
import { sharedWriteLock } from './write-lock.ts';

/** What the main thread gives the intake thread (copied, but for the lock, which is shared). */
export interface IntakeThreadData {
  settings: NodeSettings;
  token?: string;
  allowCidrs: string;
  echo: boolean;
  writeLock: SharedArrayBuffer;
}

/** A request for the main thread, and its answer. */
export interface ForwardedRequest {
  type: 'request';
  id: number;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: ArrayBuffer | null;
}
export interface ForwardedResponse {
  type: 'response';
  id: number;
  status: number;
  headers: Array<[string, string]>;
  body: ArrayBuffer | null;
}

/** What the intake thread tells the main thread. */
export type FromIntake = { type: 'listening'; port: number } | { type: 'committed' } | ForwardedRequest | { type: 'stopped' };
/** What the main thread tells the intake thread. */
export type ToIntake = ForwardedResponse | { type: 'stop' };

/** How long a stop waits for requests still arriving; VCS sends one in milliseconds. */
const STALLED_GRACE_MS = 2_000;

/** Runs in the intake thread until the main thread says stop. */
export function runIntakeThread(data: IntakeThreadData, parent: MessagePort): void {
  const { settings } = data;
  const log = createLogger(batchedStdout(), settings.logLevel);
  const store = openStore(settings, { writeLock: sharedWriteLock(data.writeLock), checkpoints: 'elsewhere' });
  const send = (m: FromIntake, transfer: ArrayBuffer[] = []) => parent.postMessage(m, transfer);
  const intake = new DurableIntake(store, {
    idempotencyWindowMs: settings.idempotencyWindowMs,
    committed: () => send({ type: 'committed' }),
  });

  const answers = new Map<number, (r: ForwardedResponse) => void>();
  let lastId = 0;
  const forward = async (request: Request): Promise<Response> => {
    const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
    const id = ++lastId;
    const answered = new Promise<ForwardedResponse>((resolve) => answers.set(id, resolve));
    send({ type: 'request', id, method: request.method, url: request.url, headers: [...request.headers], body }, body ? [body] : []);
    const r = await answered;
    return new Response(r.body, { status: r.status, headers: r.headers });
  };

  const allow = parseAllowList(data.allowCidrs);
  const app = createApp({
    intake,
    log,
    ...(data.token ? { token: data.token } : {}),
    allowList: allow.ok ? allow.value : [],
    clientIp: (c) => getConnInfo(c).remote.address,
    maxBodyBytes: settings.maxBodyBytes,
    echo: data.echo,
    forward,
  });
  // VCS sends a small request at once. Node's own limits (60 s for the headers, 300 s for the
  // whole request, looked at every 30 s) let a client that sends slowly, or not at all, hold a
  // connection for minutes, and enough of them take every file descriptor, so that VCS's next call
  // is refused. The check runs at least once a second, so a timeout fires within a second of its time.
  const timeout = settings.requestTimeoutMs;
  const serverOptions = { requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(timeout, 1_000) };
  const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port, serverOptions }, (info) => send({ type: 'listening', port: info.port })) as Server;
  // Open connections, and requests not answered yet: what a stop waits for, or cuts (see below).
  const connections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  const inFlight = new Set<IncomingMessage>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(req);
    res.once('close', () => inFlight.delete(req));
  });

  parent.on('message', (m: ToIntake) => {
    if (m.type === 'response') {
      answers.get(m.id)?.(m);
      answers.delete(m.id);
      return;
    }
    // Stop: no new connections; requests in flight are answered (their events committed) first.
    // Closing waits for every open connection, though, and after a grace period the others are
    // cut: one whose request (headers or body) is still arriving, or that never sent one, comes from
    // a stalled client, one sending slowly on purpose, or a probe. Nothing of it was acknowledged,
    // and waiting would hold the stop until its request timeout (SWITCHBOARD_REQUEST_TIMEOUT_MS).
    const cutStalled = setTimeout(() => {
      const answering = new Set([...inFlight].filter((req) => req.complete).map((req) => req.socket));
      for (const socket of connections) if (!answering.has(socket)) socket.destroy();
    }, STALLED_GRACE_MS);
    server.close(() => {
      clearTimeout(cutStalled);
      void store.close().then(() => {
        send({ type: 'stopped' });
        parent.close();
      });
    });
  });
}
