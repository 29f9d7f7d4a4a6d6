import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/hold/duration.ts';
import { isOpen, localLabel, nextOpen, parseWindow, type SendWindow, type WindowSource } from '../../src/hold/window.ts';

function window(source: WindowSource, zone = 'Europe/Kyiv'): SendWindow {
  const parsed = parseWindow('w', source, zone);
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.at.join('.')}: ${e.message}`).join('; '));
  return parsed.window;
}
const at = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const working = window({ days: 'mon-fri', hours: '08:00-19:00' });

describe('send windows', () => {
  it('are open on working days 08:00-19:00 in Kyiv, whatever the zone of the clock', () => {
    // Friday 2026-11-27: Kyiv is UTC+2 in winter.
    expect(isOpen(working, at('2026-11-27T05:59:59Z'))).toBe(false); // 07:59:59 Kyiv
    expect(isOpen(working, at('2026-11-27T06:00:00Z'))).toBe(true); // 08:00
    expect(isOpen(working, at('2026-11-27T16:59:59Z'))).toBe(true); // 18:59:59
    expect(isOpen(working, at('2026-11-27T17:00:00Z'))).toBe(false); // 19:00
    expect(working.label).toBe('Mon-Fri 08:00-19:00 Europe/Kyiv');
  });

  it('tell the day by the window\'s zone, not by UTC: Monday 01:00 in Kyiv is still Sunday in UTC', () => {
    const midnightShift = window({ days: 'mon', hours: '00:00-02:00' });
    expect(isOpen(midnightShift, at('2026-11-29T23:30:00Z'))).toBe(true); // Mon 01:30 Kyiv, Sun 23:30 UTC
    expect(isOpen(midnightShift, at('2026-11-30T23:30:00Z'))).toBe(false); // Tue 01:30 Kyiv
    // And the other way round: Friday 23:00 in New York is Saturday in UTC.
    const ny = window({ days: 'fri', hours: '22:00-23:30' }, 'America/New_York');
    expect(isOpen(ny, at('2026-11-28T04:00:00Z'))).toBe(true);
    expect(nextOpen(ny, at('2026-11-28T05:00:00Z'))).toBe(at('2026-12-05T03:00:00Z'));
  });

  it('open next on Monday morning after Friday evening, in the window\'s zone', () => {
    expect(iso(nextOpen(working, at('2026-11-27T17:30:00Z')))).toBe('2026-11-30T06:00:00.000Z');
    expect(localLabel(nextOpen(working, at('2026-11-27T17:30:00Z')), 'Europe/Kyiv')).toBe('2026-11-30 08:00 EET');
    // Early the same day: later that morning; already open: now.
    expect(iso(nextOpen(working, at('2026-11-26T03:00:00Z')))).toBe('2026-11-26T06:00:00.000Z');
    expect(nextOpen(working, at('2026-11-26T10:00:00Z'))).toBe(at('2026-11-26T10:00:00Z'));
  });

  it('follow daylight saving time: 08:00 Kyiv is 06:00 UTC in winter and 05:00 UTC in summer', () => {
    // Kyiv moves to summer time on Sunday 2026-03-29 at 03:00 (01:00 UTC).
    expect(iso(nextOpen(working, at('2026-03-27T18:00:00Z')))).toBe('2026-03-30T05:00:00.000Z');
    // And back on Sunday 2026-10-25.
    expect(iso(nextOpen(working, at('2026-10-23T18:00:00Z')))).toBe('2026-10-26T06:00:00.000Z');
    // A window that opens in the skipped hour opens when the clocks jump.
    const night = window({ days: 'sun', hours: '03:30-05:00' });
    expect(iso(nextOpen(night, at('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
  });

  it('may run past midnight: the small hours belong to the day the range starts on', () => {
    const nights = window({ days: 'fri', hours: '22:00-06:00' }, 'UTC');
    expect(isOpen(nights, at('2026-11-27T23:00:00Z'))).toBe(true); // Friday night
    expect(isOpen(nights, at('2026-11-28T05:00:00Z'))).toBe(true); // Saturday small hours
    expect(isOpen(nights, at('2026-11-29T05:00:00Z'))).toBe(false); // Sunday small hours
    expect(iso(nextOpen(nights, at('2026-11-28T07:00:00Z')))).toBe('2026-12-04T22:00:00.000Z');
  });

  it('stay shut on the dates listed under except, in the window\'s zone, and open on the next working day', () => {
    // December 25 and January 1 every year (Fridays in 2026-27); Monday 2026-12-28 this year only.
    const holidays = window({ days: 'mon-fri', hours: '08:00-19:00', except: ['12-25', '01-01', '2026-12-28'] });
    expect(holidays.label).toBe('Mon-Fri 08:00-19:00 Europe/Kyiv, except 3 dates');
    expect(isOpen(holidays, at('2026-12-24T10:00:00Z'))).toBe(true);
    expect(isOpen(holidays, at('2026-12-25T10:00:00Z'))).toBe(false);
    // Thursday evening: not Friday (shut), not the weekend, not Monday (shut this year): Tuesday.
    expect(localLabel(nextOpen(holidays, at('2026-12-24T18:00:00Z')), 'Europe/Kyiv')).toBe('2026-12-29 08:00 EET');
    // 12-25 holds every year; 2026-12-28 only in 2026: Monday 2027-12-27 opens.
    expect(isOpen(holidays, at('2028-12-25T10:00:00Z'))).toBe(false);
    expect(localLabel(nextOpen(holidays, at('2027-12-24T18:00:00Z')), 'Europe/Kyiv')).toBe('2027-12-27 08:00 EET');
    // The date is Kyiv's: 2026-12-24 23:30 UTC is already the 25th there.
    const allDay = window({ days: 'mon-sun', hours: '00:00-24:00', except: '12-25' });
    expect(allDay.label).toBe('every day 00:00-24:00 Europe/Kyiv, except 12-25');
    expect(isOpen(allDay, at('2026-12-24T21:59:00Z'))).toBe(true);
    expect(isOpen(allDay, at('2026-12-24T22:00:00Z'))).toBe(false);
    expect(iso(nextOpen(allDay, at('2026-12-24T23:30:00Z')))).toBe('2026-12-25T22:00:00.000Z');
  });

  it('shut past midnight by the date the range starts on', () => {
    const nights = window({ days: 'mon-sun', hours: '22:00-06:00', except: '2026-12-31' }, 'UTC');
    expect(isOpen(nights, at('2026-12-31T23:00:00Z'))).toBe(false); // New Year's Eve night
    expect(isOpen(nights, at('2027-01-01T05:00:00Z'))).toBe(false); // its small hours
    expect(isOpen(nights, at('2026-12-31T05:00:00Z'))).toBe(true); // the small hours of the 30th's night
    expect(iso(nextOpen(nights, at('2026-12-31T12:00:00Z')))).toBe('2027-01-01T22:00:00.000Z');
  });

  it('go past a shut fortnight, and refuse dates that are not dates or shut every opening', () => {
    const days = Array.from({ length: 16 }, (_, i) => new Date(Date.UTC(2026, 11, 24 + i)).toISOString().slice(0, 10));
    const longBreak = window({ days: 'mon-fri', hours: '08:00-19:00', except: days }, 'UTC');
    expect(iso(nextOpen(longBreak, at('2026-12-23T20:00:00Z')))).toBe('2027-01-11T08:00:00.000Z');
    expect(parseWindow('w', { days: 'mon', hours: '08:00-19:00', except: ['2026-02-30', '12/25', '13-01', '02-29'] }, 'UTC')).toEqual({
      ok: false,
      errors: [
        { at: ['except', 0], message: '"2026-02-30" is not a date; write YYYY-MM-DD (2026-12-25), or MM-DD for every year (12-25)' },
        { at: ['except', 1], message: '"12/25" is not a date; write YYYY-MM-DD (2026-12-25), or MM-DD for every year (12-25)' },
        { at: ['except', 2], message: '"13-01" is not a date; write YYYY-MM-DD (2026-12-25), or MM-DD for every year (12-25)' },
      ],
    });
    const everyDay = Array.from({ length: 366 }, (_, i) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(5, 10));
    expect(parseWindow('w', { days: 'mon-fri', hours: '08:00-19:00', except: everyDay }, 'UTC')).toEqual({
      ok: false,
      errors: [{ at: ['except'], message: 'it shuts the window on every day it would open in the coming year' }],
    });
  });

  it('take several ranges and days, and say what is wrong with a bad one', () => {
    const split = window({ days: ['mon', 'wed-thu'], hours: ['08:00-12:00', '13:00-17:00'] }, 'UTC');
    expect(split.label).toBe('Mon, Wed, Thu 08:00-12:00, 13:00-17:00 UTC');
    expect(isOpen(split, at('2026-11-25T12:30:00Z'))).toBe(false); // Wednesday lunch
    expect(iso(nextOpen(split, at('2026-11-25T12:30:00Z')))).toBe('2026-11-25T13:00:00.000Z');
    expect(parseWindow('w', { days: 'mon-fro', hours: ['8-19', '25:00-26:00'], timezone: 'Europe/Kyjiw' }, 'UTC')).toEqual({
      ok: false,
      errors: [
        { at: ['days'], message: '"mon-fro" is not a day or a range of days; write mon, tue, ... sun, or a range such as mon-fri' },
        { at: ['hours', 0], message: '"8-19" is not a range of hours; write HH:MM-HH:MM, such as 08:00-19:00 (22:00-06:00 runs past midnight)' },
        { at: ['hours', 1], message: '"25:00-26:00" is not a range of hours; write HH:MM-HH:MM, such as 08:00-19:00 (22:00-06:00 runs past midnight)' },
        { at: ['timezone'], message: 'unknown time zone "Europe/Kyjiw"; expected an IANA name such as "Europe/Kyiv" or "UTC"' },
      ],
    });
  });
});

describe('durations', () => {
  it('read as rules.yaml writes them, and print for people', () => {
    expect([parseDuration('0'), parseDuration(0), parseDuration('30s'), parseDuration('5m'), parseDuration('1h30m'), parseDuration('2d'), parseDuration(90)]).toEqual([
      0, 0, 30_000, 300_000, 5_400_000, 172_800_000, 90_000,
    ]);
    expect([parseDuration('soon'), parseDuration('5 minutes'), parseDuration('-1s')]).toEqual([undefined, undefined, undefined]);
    expect([formatDuration(45_000), formatDuration(600_000), formatDuration(7_500_000), formatDuration(3 * 86_400_000)]).toEqual(['45 s', '10 min', '2 h 5 min', '3 d']);
  });
});
