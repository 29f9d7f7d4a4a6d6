import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/queue/since.ts';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('--since', () => {
  it('takes a duration back from now', () => {
    expect(parseSince('30m', NOW)).toEqual({ ok: true, value: NOW - 30 * 60_000 });
    expect(parseSince('2d', NOW)).toEqual({ ok: true, value: NOW - 2 * 86_400_000 });
  });

  it('takes an ISO date or date-time', () => {
    expect(parseSince('2026-11-26', NOW)).toEqual({ ok: true, value: Date.parse('2026-11-26') });
    expect(parseSince('2026-11-26T08:00:00Z', NOW)).toEqual({ ok: true, value: Date.parse('2026-11-26T08:00:00Z') });
  });

  it('refuses a bare number rather than reading it as a year', () => {
    expect(parseSince('2', NOW)).toEqual({ ok: false, error: 'since: expected a duration such as 30m, 6h or 2d, or an ISO date-time; got "2"' });
    expect(parseSince('yesterday', NOW).ok).toBe(false);
  });
});
