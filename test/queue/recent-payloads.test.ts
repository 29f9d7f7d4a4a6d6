import { describe, expect, it } from 'vitest';
import { hashOf, RecentPayloads } from '../../src/queue/drivers/recent-payloads.ts';
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

  it('keeps exact times on a server up for months (they are counted from a base that moves)', () => {
    const recent = new RecentPayloads(stored([]).load);
    expect(recent.candidates('a', T0)).toEqual([]);
    for (let day = 1; day <= 120; day++) {
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
      const other = seen.get(hashOf(f));
      if (other !== undefined && other !== f) pair = [other, f];
      seen.set(hashOf(f), f);
    }
    const recent = new RecentPayloads(stored([]).load);
    recent.candidates(pair[0], T0);
    recent.add(pair[0], T0 + 1);
    recent.add(pair[1], T0 + 2);
    expect(recent.candidates(pair[0], T0)).toEqual([T0 + 1, T0 + 2]);
    expect(recent.candidates(pair[1], T0)).toEqual([T0 + 1, T0 + 2]);
  });

  it('answers as a list of every arrival would, through growing, rebuilding and forgetting', () => {
    // A fixed pseudo-random sequence: arrivals over a day, asked for with a one-hour window, so that
    // the table rebuilds many times with arrivals that left the window in it.
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const all: Row[] = [];
    const recent = new RecentPayloads(stored([]).load);
    let now = T0;
    for (let n = 0; n < 20_000; n++) {
      now += Math.floor(random() * 10_000);
      // A fifth repeat an earlier payload: some within the window, some that left it.
      const repeat = random() < 0.2 && all.length > 0;
      const f = repeat ? all[Math.floor(random() * all.length)]!.fingerprint : `payload ${n}`;
      const since = now - HOUR;
      const expected = all.filter((r) => r.fingerprint === f && r.received_at >= since).map((r) => r.received_at);
      // Candidates may include arrivals of other fingerprints sharing a key: all of these, at least.
      expect(recent.candidates(f, since)).toEqual(expect.arrayContaining(expected));
      if (n % 1000 === 0) expect(recent.candidates(f, since).every((t) => t >= since)).toBe(true);
      recent.add(f, now);
      all.push({ fingerprint: f, received_at: now });
    }
    expect(now - T0).toBeGreaterThan(20 * HOUR);
  });
});
