/**
 * Send windows: the days and hours, in an IANA time zone, when a destination may be told things
 * (working days 08:00-19:00 Europe/Kyiv). Outside them messages wait for the next opening.
 */

/** A parsed window; `label` says it the way notes and `explain` show it. */
export interface SendWindow {
  readonly name: string;
  /** Days of the week it opens on, 0 = Sunday. */
  readonly days: ReadonlySet<number>;
  /** Minutes after local midnight: [start, end). An end at or before the start runs past midnight. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  readonly timeZone: string;
  /** Local dates it stays shut on: `2026-12-25`, or `12-25` for every year. */
  readonly except: ReadonlySet<string>;
  readonly label: string;
}

/** As rules.yaml writes it. */
export interface WindowSource {
  days: string | string[];
  hours: string | string[];
  timezone?: string | undefined;
  except?: string | string[] | undefined;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const LABEL_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY = 86_400_000;

/** A mistake in a window's source, and where it is: `['hours', 1]` for the second item of `hours`. */
export interface WindowError {
  readonly at: readonly [keyof WindowSource] | readonly [keyof WindowSource, number];
  readonly message: string;
}

/** A key's value or the items of its list, with where each is. */
const itemsOf = (key: keyof WindowSource, value: string | string[] | undefined) =>
  Array.isArray(value) ? value.map((v, i) => ({ v, at: [key, i] as const })) : value === undefined ? [] : [{ v: value, at: [key] as const }];

/** A window from its source, or the mistakes in it. */
export function parseWindow(name: string, source: WindowSource, defaultZone: string): { ok: true; window: SendWindow } | { ok: false; errors: WindowError[] } {
  const errors: WindowError[] = [];
  const days = new Set<number>();
  for (const { v, at } of itemsOf('days', source.days)) {
    for (const token of v.split(',')) {
      const range = parseDays(token.trim().toLowerCase());
      if (!range) errors.push({ at, message: `"${token.trim()}" is not a day or a range of days; write mon, tue, ... sun, or a range such as mon-fri` });
      else range.forEach((d) => days.add(d));
    }
  }
  const ranges: Array<[number, number]> = [];
  for (const { v, at } of itemsOf('hours', source.hours)) {
    const range = parseHours(v.trim());
    if (!range) errors.push({ at, message: `"${v}" is not a range of hours; write HH:MM-HH:MM, such as 08:00-19:00 (22:00-06:00 runs past midnight)` });
    else ranges.push(range);
  }
  const timeZone = source.timezone ?? defaultZone;
  const zoneError = unknownZone(timeZone);
  if (zoneError) errors.push({ at: ['timezone'], message: zoneError });
  const except = new Set<string>();
  for (const { v, at } of itemsOf('except', source.except)) {
    if (isDate(v.trim())) except.add(v.trim());
    else errors.push({ at, message: `"${v}" is not a date; write YYYY-MM-DD (2026-12-25), or MM-DD for every year (12-25)` });
  }
  if (errors.length > 0) return { ok: false, errors };
  const shut = except.size === 0 ? '' : `, except ${except.size === 1 ? [...except][0] : `${except.size} dates`}`;
  const label = `${dayLabel(days)} ${[source.hours].flat().map((h) => h.trim()).join(', ')} ${timeZone}${shut}`;
  const window = { name, days, ranges, timeZone, except, label };
  // Messages would wait for it for ever.
  if (except.size > 0 && !opensWithinAYear(window)) return { ok: false, errors: [{ at: ['except'], message: 'it shuts the window on every day it would open in the coming year' }] };
  return { ok: true, window };
}

function opensWithinAYear(w: SendWindow): boolean {
  try {
    nextOpen(w, Date.now());
    return true;
  } catch {
    return false;
  }
}

/** `2026-12-25`, or `12-25` (any year: February 29 is allowed). */
function isDate(token: string): boolean {
  const m = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(token);
  if (!m) return false;
  const [month, day] = [Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(m[1] ? Number(m[1]) : 2000, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function parseDays(token: string): number[] | undefined {
  const [from, to, ...rest] = token.split('-').map((t) => DAY_NAMES.indexOf(t.slice(0, 3)));
  if (rest.length > 0 || from === undefined || from < 0) return undefined;
  if (to === undefined) return [from];
  if (to < 0) return undefined;
  const out: number[] = [];
  for (let d = from; ; d = (d + 1) % 7) {
    out.push(d);
    if (d === to) return out;
  }
}

function parseHours(token: string): [number, number] | undefined {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(token);
  if (!m) return undefined;
  const [start, end] = [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
  if (Number(m[2]) > 59 || Number(m[4]) > 59 || start >= 24 * 60 || end > 24 * 60) return undefined;
  return [start, end];
}

function dayLabel(days: ReadonlySet<number>): string {
  const sorted = [1, 2, 3, 4, 5, 6, 0].filter((d) => days.has(d));
  if (sorted.length === 7) return 'every day';
  // Runs of consecutive days, Monday first: Mon-Fri, Sat.
  const runs: number[][] = [];
  for (const d of sorted) {
    const last = runs[runs.length - 1];
    if (last && (last[last.length - 1]! + 1) % 7 === d) last.push(d);
    else runs.push([d]);
  }
  return runs.map((r) => (r.length > 2 ? `${LABEL_DAYS[r[0]!]}-${LABEL_DAYS[r[r.length - 1]!]}` : r.map((d) => LABEL_DAYS[d]).join(', '))).join(', ');
}

/** What is wrong with a time zone's name, or undefined when the runtime knows it. */
export function unknownZone(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return undefined;
  } catch {
    return `unknown time zone "${timeZone}"; expected an IANA name such as "Europe/Kyiv" or "UTC"`;
  }
}

interface Local {
  year: number;
  month: number;
  day: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time at `t` in a zone. */
function local(t: number, timeZone: string): Local & { second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  const [year, month, day] = [Number(p.year), Number(p.month), Number(p.day)];
  return { year, month, day, minute: Number(p.hour) * 60 + Number(p.minute), second: Number(p.second) };
}

/** The zone's offset from UTC at `t`, in ms. */
function offset(t: number, timeZone: string): number {
  const l = local(t, timeZone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, 0, l.minute, l.second);
  return wall - Math.floor(t / 1_000) * 1_000;
}

/** A local wall time as if it were UTC: comparable across zones' offsets. */
const wallOf = (l: Local) => Date.UTC(l.year, l.month - 1, l.day, 0, l.minute);

/**
 * The instant a local wall time happens in a zone. A time the clocks skip (spring forward) maps to
 * the end of the gap, the first instant after it.
 */
export function zonedInstant(year: number, month: number, day: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minute);
  const first = wall - offset(wall, timeZone);
  const second = wall - offset(first, timeZone);
  const exact = [first, second].filter((t) => wallOf(local(t, timeZone)) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the earliest minute whose wall time is past the one asked for.
  let [lo, hi] = [Math.min(first, second), Math.max(first, second)];
  while (hi - lo > 60_000) {
    const mid = lo + Math.max(60_000, Math.floor((hi - lo) / 120_000) * 60_000);
    if (wallOf(local(mid, timeZone)) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Whether the ranges starting on a local date (`date` at midnight UTC) open: a day of the window's, not shut. */
function opensOn(w: SendWindow, date: Date): boolean {
  if (!w.days.has(date.getUTCDay())) return false;
  if (w.except.size === 0) return true;
  const ymd = date.toISOString().slice(0, 10);
  return !w.except.has(ymd) && !w.except.has(ymd.slice(5));
}

/** Whether the window is open at `t`. */
export function isOpen(w: SendWindow, t: number): boolean {
  const l = local(t, w.timeZone);
  const today = new Date(Date.UTC(l.year, l.month - 1, l.day));
  const [opensToday, opensYesterday] = [opensOn(w, today), opensOn(w, new Date(today.getTime() - DAY))];
  return w.ranges.some(([start, end]) => {
    if (start < end) return opensToday && l.minute >= start && l.minute < end;
    // Past midnight: the evening belongs to the day it starts on, the small hours to the day before.
    return (opensToday && l.minute >= start) || (opensYesterday && l.minute < end);
  });
}

/** `t` when the window is open then, else the next instant it opens. */
export function nextOpen(w: SendWindow, t: number): number {
  if (isOpen(w, t)) return t;
  const today = local(t, w.timeZone);
  let best = Number.POSITIVE_INFINITY;
  // A week and a day finds the next opening of any window without dates shut; with them, a year does.
  const horizon = w.except.size === 0 ? 8 : 374;
  for (let k = 0; k <= horizon && best === Number.POSITIVE_INFINITY; k++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day) + k * DAY);
    if (!opensOn(w, date)) continue;
    for (const [start] of w.ranges) {
      const at = zonedInstant(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), start, w.timeZone);
      if (at > t && at < best && isOpen(w, at)) best = at;
    }
  }
  if (best === Number.POSITIVE_INFINITY) throw new Error(`send window ${w.name} never opens`);
  return best;
}

/** `2026-11-30 08:00 EET`, in the window's zone: when a deferred message goes. */
export function localLabel(t: number, timeZone: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
      .formatToParts(t)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}
