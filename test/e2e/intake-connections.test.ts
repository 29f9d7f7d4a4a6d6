/**
 * Clients that do not finish what they start, against the real server: a body that stops arriving,
 * a connection that never sends a request.
 */
import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { fixture } from '../support/shipped-events.ts';
import { runCli, startServer } from '../support/server-process.ts';
import { waitFor } from '../support/wait.ts';

/** A raw connection to the server, with what it has answered so far. */
async function rawConnection(url: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  await new Promise<void>((done) => socket.once('connect', done));
  return { socket, received: () => received, closed: () => closed };
}

/**
 * Starts a hook request whose body stops half-way, with a Content-Length or chunked, and resolves
 * once the server is reading it: with `Expect: 100-continue`, it says `100 Continue` when it has
 * taken the request.
 */
async function stalledBody(url: string, framing: 'content-length' | 'chunked' = 'content-length'): Promise<Awaited<ReturnType<typeof rawConnection>>> {
  const conn = await rawConnection(url);
  const body = fixture('clients.update');
  const length = framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${body.length}`;
  conn.socket.write(`POST /hooks/vcs HTTP/1.1\r\nhost: 127.0.0.1\r\n${length}\r\nexpect: 100-continue\r\n\r\n`);
  await waitFor('the server to take the request', () => conn.received().startsWith('HTTP/1.1 100 Continue'));
  conn.socket.write(framing === 'chunked' ? `14\r\n${body.slice(0, 20)}\r\n` : body.slice(0, 20));
  return conn;
}

it('logs a client that hangs up half-way through its body as a warning, not an unexpected error', async () => {
  const server = await startServer({});
  try {
    for (const framing of ['content-length', 'chunked'] as const) (await stalledBody(server.url, framing)).socket.destroy();
    const lines = await waitFor('a line about each request', () => {
      const found = server.output().split('\n').filter((l) => l.includes('aborted'));
      return found.length === 2 && found;
    });
    for (const line of lines) expect(line).toMatch(/ WARN a hook request ended before its body arrived whole; nothing was stored ip=127\.0\.0\.1 error=aborted$/);
    expect(server.output()).not.toContain('ERROR');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    await server.stop();
  }
});

it('stops on SIGTERM within seconds while a client holds a body half-sent, or a connection with no request', async () => {
  const server = await startServer({});
  const stalled = await stalledBody(server.url);
  const silent = await rawConnection(server.url);
  try {
    // Unbounded, the stop would wait for Node's request timeout: five minutes.
    let bound: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([server.stop(), new Promise<string>((done) => (bound = setTimeout(() => done('still running after 10 s'), 10_000)))]);
    clearTimeout(bound);
    expect(exited).toBe(0);
    expect(stalled.closed()).toBe(true);
    expect(silent.closed()).toBe(true);
    expect(server.output()).toContain('INFO stopped');
  } finally {
    stalled.socket.destroy();
    silent.socket.destroy();
    await server.stop('SIGKILL');
  }
});

it('answers 408 and cuts off a client that takes longer than SWITCHBOARD_REQUEST_TIMEOUT_MS, and still takes the events of others', async () => {
  const timeoutMs = 600;
  const server = await startServer({ SWITCHBOARD_REQUEST_TIMEOUT_MS: String(timeoutMs) });
  const started = Date.now();
  const stalled = await stalledBody(server.url);
  const silent = await rawConnection(server.url);
  try {
    const answered = await fetch(`${server.url}/hooks/vcs`, { method: 'POST', body: fixture('clients.balance_zero') });
    expect(answered.status).toBe(200);
    // Node's default would hold them for 60 s (no request) and 300 s (a body half-sent).
    await waitFor('both slow clients cut off', () => stalled.closed() && silent.closed(), 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs);
    expect(stalled.received()).toBe('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    expect(silent.received()).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    const events = await runCli(['events', '--json'], { DATA_DIR: server.dataDir });
    expect(JSON.parse(events.stdout).map((e: { eventId: string }) => e.eventId)).toEqual(['clients.balance_zero']);
    expect(server.output()).not.toContain('ERROR');
  } finally {
    stalled.socket.destroy();
    silent.socket.destroy();
    await server.stop();
  }
});
