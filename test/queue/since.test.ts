import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/hold/duration.ts';
import { parseSince } from '../../src/queue/since.ts';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const MUST = 'must be a duration such as 30m, 6h, 1h30m or 2d, or an ISO date or date-time such as 2026-11-26 or 2026-11-26T08:00:00Z';

describe('--since', () => {
  it('takes a duration back from now', () => {
    expect(parseSince('30m', NOW)).toEqual({ ok: true, value: NOW - 30 * 60_000 });
    expect(parseSince('2d', NOW)).toEqual({ ok: true, value: NOW - 2 * 86_400_000 });
  });

  it('takes every duration rules.yaml takes, compound ones too', () => {
    for (const text of ['1h30m', '2d12h', '90s', '1h 30m', '500ms']) {
      expect(parseSince(text, NOW), text).toEqual({ ok: true, value: NOW - parseDuration(text)! });
    }
    expect(parseSince('1h30m', NOW)).toEqual({ ok: true, value: NOW - 90 * 60_000 });
  });

  it('takes an ISO date or date-time', () => {
    expect(parseSince('2026-11-26', NOW)).toEqual({ ok: true, value: Date.parse('2026-11-26') });
    expect(parseSince('2026-11-26T08:00:00Z', NOW)).toEqual({ ok: true, value: Date.parse('2026-11-26T08:00:00Z') });
  });

  it('refuses a bare number rather than reading it as a year or as seconds, and says what it takes', () => {
    expect(parseSince('2', NOW)).toEqual({ ok: false, error: `${MUST}, got "2"` });
    expect(parseSince('2026', NOW)).toEqual({ ok: false, error: `${MUST}, got "2026"` });
    for (const text of ['yesterday', '1hr', '', '-1h']) expect(parseSince(text, NOW), text).toEqual({ ok: false, error: `${MUST}, got "${text}"` });
  });
});
