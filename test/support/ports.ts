import { createServer } from 'node:net';

/** A loopback port nothing listens on now: bound, then released (a server to start, or a closed port). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const { port } = srv.address() as { port: number };
  await new Promise((done) => srv.close(done));
  return port;
}
