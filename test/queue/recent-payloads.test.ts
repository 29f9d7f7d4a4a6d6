import { describe, expect, it } from 'vitest';
import { fingerprintKey, RecentPayloads } from '../../src/queue/drivers/recent-payloads.ts';
import { fingerprint } from '../../src/queue/fingerprint.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 27);

type Row = { fingerprint: string; received_at: number };

/** What the database would give: the rows since a time, oldest first, and how often it was asked. */
function stored(rows: Row[]) {
  const loads: number[] = [];
  const load = (since: number) => {
    loads.push(since);
    return rows.filter((r) => r.received_at >= since).sort((a, b) => a.received_at - b.received_at);
  };
  return { loads, load };
}

describe('the payloads received within the idempotency window, in memory', () => {
  it('gives every arrival of a fingerprint within the window, oldest first, and reads the database once', () => {
    const db = stored([
      { fingerprint: 'a', received_at: T0 - 2 * DAY },
      { fingerprint: 'a', received_at: T0 - HOUR },
      { fingerprint: 'b', received_at: T0 - 30 * 60_000 },
    ]);
    const recent = new RecentPayloads(db.load);
    expect(recent.candidates('a', T0 - DAY)).toEqual([T0 - HOUR]);
    recent.add('a', T0);
    expect(recent.candidates('a', T0 - DAY)).toEqual([T0 - HOUR, T0]);
    expect(recent.candidates('b', T0 - DAY)).toEqual([T0 - 30 * 60_000]);
    expect(recent.candidates('c', T0 - DAY)).toEqual([]);
    expect(db.loads).toEqual([T0 - DAY - 60_000]);
  });

  it('forgets what left the window, and reads the database again when asked for more than it holds', () => {
    const db = stored([{ fingerprint: 'a', received_at: T0 }]);
    const recent = new RecentPayloads(db.load);
    expect(recent.candidates('a', T0 - DAY)).toEqual([T0]);
    expect(recent.candidates('a', T0 + HOUR)).toEqual([]);
    expect(recent.candidates('a', T0 - 1)).toEqual([T0]);
    expect(db.loads).toEqual([T0 - DAY - 60_000, T0 - 60_001]);
  });

  it('keeps exact times on a server up for weeks (they are counted from a base that moves)', () => {
    const recent = new RecentPayloads(stored([]).load);
    expect(recent.candidates('a', T0)).toEqual([]);
    for (let day = 1; day <= 30; day++) {
      const at = T0 + day * DAY + 123;
      recent.add(`event of day ${day}`, at);
      expect(recent.candidates(`event of day ${day}`, at - DAY)).toEqual([at]);
      expect(recent.candidates(`event of day ${day - 1}`, at - DAY)).toEqual(day === 1 ? [] : [at - DAY]);
    }
  });

  it('gives the arrivals of every fingerprint that shares a key, so that no repeat is missed', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const f = fingerprint(`payload ${i}`);
      const other = seen.get(fingerprintKey(f));
      if (other !== undefined && other !== f) pair = [other, f];
      seen.set(fingerprintKey(f), f);
    }
    const recent = new RecentPayloads(stored([]).load);
    recent.candidates(pair[0], T0);
    recent.add(pair[0], T0 + 1);
    recent.add(pair[1], T0 + 2);
    expect(recent.candidates(pair[0], T0)).toEqual([T0 + 1, T0 + 2]);
    expect(recent.candidates(pair[1], T0)).toEqual([T0 + 1, T0 + 2]);
  });
});
