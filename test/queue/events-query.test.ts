/**
 * How SQLite runs `events` (and purge --dead) on the real schema: newest first, stopping at the
 * limit, and for the statuses that need an operator from the deliveries in that state. A plan that reads every event
 * is fast in a test and takes minutes on a month of them.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsQuery, SQL } from '../../src/queue/drivers/sql.ts';
import { EVENT_STATUSES, type EventFilter } from '../../src/queue/store.ts';
import { tempStore } from '../support/store.ts';

describe('the events query', () => {
  let db: Database.Database;
  beforeAll(async () => {
    const { dir, store } = tempStore();
    await store.close();
    db = new Database(join(dir, 'switchboard.db'), { readonly: true });
  });
  afterAll(() => db.close());

  /** The steps SQLite plans for a statement. */
  const steps = (sql: string, params: unknown[] = []) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
  const plan = (filter: EventFilter) => {
    const { sql, params } = eventsQuery(filter);
    return steps(sql, params);
  };

  it.each([{}, { since: 0 }, ...['delivered', 'unrouted'].map((status) => ({ status }))] as EventFilter[])(
    'reads events newest first through an index and stops at the limit: %o',
    (filter) => {
      const listing = plan(filter);
      expect(listing[0]).toMatch(/^(SCAN|SEARCH) e USING INDEX events_received\b/);
      expect(listing.filter((s) => s.includes('TEMP B-TREE'))).toEqual([]);
    },
  );

  it.each([
    ['dead', /deliveries_dead/],
    ['failed', /deliveries_pending/],
    ['pending', /deliveries_pending/],
    // Any of the indexes of held deliveries alone (deliveries_held, _group, _incident).
    ['held', /deliveries_(held|group|incident)\b/],
    ['received', /events_unrouted/],
    ['duplicate', /events_duplicate/],
    ['suppressed', /deliveries_suppressed/],
  ])('starts %s from the few rows in that state (%s), never reading every event or delivery', (status, index) => {
    const listing = plan({ status } as EventFilter);
    expect(listing.join('\n')).toMatch(index);
    expect(listing.filter((s) => /^SCAN (e|d|deliveries|x)$/.test(s) || /^SCAN e USING INDEX events_received/.test(s))).toEqual([]);
  });

  it.each(['deadMerged', 'purgeDeadEvents'] as const)('finds what purge --dead removes through the dead deliveries, never reading every event (%s)', (name) => {
    const purge = steps(SQL[name]);
    expect(purge.join('\n')).toMatch(/deliveries_dead/);
    expect(purge.filter((s) => /^SCAN (events|deliveries)$/.test(s))).toEqual([]);
  });

  it('has a plan for every status', () => {
    for (const status of EVENT_STATUSES) expect(plan({ status, since: 0, limit: 10 }).length).toBeGreaterThan(0);
  });
});
