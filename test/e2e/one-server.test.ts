import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, startServer, tempDataDir, type ServerProcess } from '../support/server-process.ts';

it('refuses a second server on the same data folder, and takes the folder over once the first is killed -9', { timeout: 60_000 }, async () => {
  const env = { DATA_DIR: tempDataDir() };
  const running: ServerProcess[] = [];
  try {
    const first = await startServer(env);
    running.push(first);

    const second = await startServer(env).catch((e: Error) => e);
    if (!(second instanceof Error)) running.push(second); // started after all: stopped below
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).message).toMatch(/^server exited with 1:/);
    expect((second as Error).message).toContain(`switchboard: another switchboard serve is running on ${env.DATA_DIR} (it holds ${env.DATA_DIR}/serve.lock); stop it first, or give this one a DATA_DIR of its own`);

    // The first goes on receiving, and the operators' commands still read the folder beside it.
    const res = await fetch(`${first.url}/hooks/vcs`, { method: 'POST', body: JSON.stringify({ event: { dt: '2022-01-24T15:44:47+00:00', events_id: 'clients.balance_zero', object_id: 5 }, data: {} }) });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect((await runCli(['explain', id], env)).stdout).toContain(`event ${id}: clients.balance_zero (object 5)`);

    // The operating system drops the lock with the process: nothing stale to clear by hand.
    await first.stop('SIGKILL');
    const third = await startServer(env);
    running.push(third);
    expect((await fetch(`${third.url}/healthz`)).status).toBe(200);
  } finally {
    for (const s of running) await s.stop('SIGKILL');
  }
});

it('says which DATA_DIR it cannot use, and why, and exits 1', async () => {
  const notAFolder = join(tempDataDir(), 'a-file');
  writeFileSync(notAFolder, '');
  const failed = await startServer({ DATA_DIR: join(notAFolder, 'data') }).catch((e: Error) => e);
  if (!(failed instanceof Error)) await failed.stop('SIGKILL');
  expect(failed).toBeInstanceOf(Error);
  expect((failed as Error).message).toMatch(/^server exited with 1:/);
  expect((failed as Error).message).toContain(`switchboard: cannot use DATA_DIR ${notAFolder}/data: ENOTDIR: not a directory`);
});
