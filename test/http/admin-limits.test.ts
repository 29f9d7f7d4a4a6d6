/**
 * How many events the admin API and the CLI list when not told, and at most: the admin API in
 * process over a real SQLite file, the CLI as operators run it on the same file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi } from '../../src/http/admin.ts';
import { runCli } from '../support/server-process.ts';
import { commit, newEvent, tempStore } from '../support/store.ts';

const TOKEN = 'limits-admin-token';

describe('listing events', () => {
  const { store, dir } = tempStore();
  const api = adminApi({ store, token: TOKEN });
  const listed = async (query: string) => {
    const res = await api.request(`/events${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: unknown[] }).events.length;
  };

  beforeAll(async () => {
    const now = Date.now();
    await commit(store, Array.from({ length: 1_001 }, (_, i) => newEvent({ receivedAt: now - i, destinations: [] })), 0);
  });
  afterAll(() => store.close());

  it('gives 100 through the admin API unless asked for more, and never more than 1,000 in one call', async () => {
    expect(await listed('')).toBe(100);
    expect(await listed('?limit=1000')).toBe(1_000);
    expect(await listed('?limit=5000')).toBe(1_000);
  });

  it('gives 50 in the CLI unless asked for more', async () => {
    const lines = async (...args: string[]) => (await runCli(['events', ...args], { DATA_DIR: dir })).stdout.trim().split('\n').length;
    expect(await lines()).toBe(50);
    expect(await lines('--limit', '1001')).toBe(1_001);
  });
});
