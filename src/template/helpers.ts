import type Handlebars from 'handlebars/runtime';

type HB = typeof Handlebars;
interface Options {
  hash: Record<string, unknown>;
  data?: { timeZone?: string };
  fn?: (ctx: unknown) => string;
  inverse?: (ctx: unknown) => string;
}

/** Handlebars passes its options object last; everything before it is a positional argument. */
function split(args: unknown[]): { params: unknown[]; options: Options } {
  return { params: args.slice(0, -1), options: args[args.length - 1] as Options };
}

// Building a DateTimeFormat costs far more than formatting with one: keep one per time zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    if (formatters.size > 100) formatters.clear(); // zones come from templates: few, but not trusted
    formatters.set(timeZone, format);
  }
  return format;
}

// formatToParts costs several microseconds, a good part of rendering a message; the events of a
// burst mostly share their second (the bursts are when it matters).
const recentParts = new Map<string, Record<string, string>>();

function zonedParts(date: Date, timeZone: string): Record<string, string> {
  const key = `${Math.floor(date.getTime() / 1000)} ${timeZone}`;
  let parts = recentParts.get(key);
  if (!parts) {
    parts = Object.fromEntries(formatterFor(timeZone).formatToParts(date).map((p) => [p.type, p.value]));
    if (recentParts.size >= 1000) recentParts.clear();
    recentParts.set(key, parts);
  }
  return parts;
}

// JavaScript reads an ISO date-time without an offset in the host's zone, so the same event would
// read differently on each server; VCS sends UTC.
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function parseDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const s = String(value).trim();
  return new Date(NO_OFFSET.test(s) ? `${s.replace(' ', 'T')}Z` : s);
}

/**
 * `{{date event.dt}}` → "2022-01-24 15:44 UTC"; `tz="Europe/Kyiv"` picks the zone,
 * `format="date"|"time"|"datetime"|"seconds"|"iso"` the shape. Unparseable input is returned as is.
 */
function formatDate(value: unknown, timeZone: string, format: string): string {
  const date = parseDate(value);
  if (value == null || value === '' || Number.isNaN(date.getTime())) return value == null ? '' : String(value);
  if (format === 'iso') return date.toISOString();
  let p: Record<string, string>;
  try {
    p = zonedParts(date, timeZone);
  } catch {
    p = zonedParts(date, 'UTC');
  }
  const day = `${p.year}-${p.month}-${p.day}`;
  const time = `${p.hour}:${p.minute}`;
  const zone = p.timeZoneName ?? timeZone;
  switch (format) {
    case 'date':
      return day;
    case 'time':
      return `${time} ${zone}`;
    case 'seconds':
      return `${day} ${time}:${p.second} ${zone}`;
    default:
      return `${day} ${time} ${zone}`;
  }
}

// Payloads carry numbers as numbers or as strings ("-12.50"); Number() alone would also read
// "", " ", null, true and [5] as numbers.
function toNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function formatNumber(value: unknown, decimals: number | undefined): string {
  const n = toNumber(value);
  if (n === undefined) return value == null ? '' : String(value);
  return new Intl.NumberFormat('en-US', {
    minimumFractionDigits: decimals ?? 0,
    maximumFractionDigits: decimals ?? 20,
  }).format(n);
}

/** `{{money 1234.5 "EUR"}}` → "1,234.50 EUR". Code after the amount reads the same for every currency. */
function formatMoney(value: unknown, currency: unknown, decimals: number | undefined): string {
  const n = toNumber(value);
  if (n === undefined) return value == null ? '' : String(value);
  const amount = formatNumber(n, decimals ?? 2);
  return typeof currency === 'string' && currency !== '' ? `${amount} ${currency}` : amount;
}

function truncate(value: unknown, length: number, marker: string): string {
  const s = value == null ? '' : String(value);
  const chars = Array.from(s);
  if (chars.length <= length) return s;
  return chars.slice(0, Math.max(0, length - Array.from(marker).length)).join('') + marker;
}

function stringify(value: unknown): string {
  if (value == null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Numbers (or numeric strings) compare as numbers, so "10" > "9"; other strings compare as text.
 * Anything else has no order: a missing value is not 0.
 */
function order(a: unknown, b: unknown): number {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return NaN;
}

const compare: Record<string, (a: unknown, b: unknown) => boolean> = {
  // 12 equals "12" (payloads mix the two), but two strings are equal only as text: "007" is not "7".
  eq: (a, b) => a === b || (typeof a !== typeof b && order(a, b) === 0),
  ne: (a, b) => !compare.eq!(a, b),
  lt: (a, b) => order(a, b) < 0,
  lte: (a, b) => order(a, b) <= 0,
  gt: (a, b) => order(a, b) > 0,
  gte: (a, b) => order(a, b) >= 0,
};

/** A dotted path (`event.events_id`) into a value, own properties only. */
function valueAt(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * `(tally events key="event.events_id")` → `[{value, count}]`: how many items have each value of
 * the key (the item itself without one), most first, ties in the order first seen. Values count as
 * `eq` compares them (12 and "12" together); an item without the key counts under no value.
 */
function tally(list: unknown, key: string | undefined): Array<{ value: unknown; count: number }> {
  const items = Array.isArray(list) ? list : list == null ? [] : [list];
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const item of items) {
    const value = key ? valueAt(item, key) : item;
    const id = value == null ? '' : typeof value === 'object' ? `o${JSON.stringify(value)}` : `v${String(value)}`;
    const entry = counts.get(id);
    if (entry) entry.count++;
    else counts.set(id, { value: value ?? undefined, count: 1 });
  }
  // Array.prototype.sort is stable: equal counts keep the order they were first seen in.
  return [...counts.values()].sort((a, b) => b.count - a.count);
}

/** Registers the helpers templates may use (see README, "Helpers"). */
export function registerHelpers(hb: HB): void {
  const h = (name: string, fn: (...args: unknown[]) => unknown) => hb.registerHelper(name, fn as never);

  h('date', (...args) => {
    const { params, options } = split(args);
    const tz = (options.hash.tz as string) ?? options.data?.timeZone ?? 'UTC';
    return formatDate(params[0], tz, String(options.hash.format ?? 'datetime'));
  });
  h('number', (...args) => {
    const { params, options } = split(args);
    return formatNumber(params[0], toNumber(params[1] ?? options.hash.decimals));
  });
  h('money', (...args) => {
    const { params, options } = split(args);
    return formatMoney(params[0], params[1] ?? options.hash.currency, toNumber(options.hash.decimals));
  });
  h('default', (...args) => {
    const { params } = split(args);
    return params.find((p) => p !== undefined && p !== null && p !== '') ?? '';
  });
  h('json', (...args) => {
    const { params, options } = split(args);
    return JSON.stringify(params[0] ?? null, null, toNumber(options.hash.indent));
  });
  h('truncate', (...args) => {
    const { params, options } = split(args);
    return truncate(params[0], toNumber(params[1]) ?? 100, String(options.hash.marker ?? '…'));
  });
  h('join', (...args) => {
    const { params, options } = split(args);
    const list = Array.isArray(params[0]) ? params[0] : params[0] == null ? [] : [params[0]];
    const key = options.hash.key as string | undefined;
    const sep = params[1] === undefined ? ', ' : String(params[1]);
    return list.map((item) => stringify(key && item && typeof item === 'object' ? (item as Record<string, unknown>)[key] : item)).join(sep);
  });
  h('tally', (...args) => {
    const { params, options } = split(args);
    const key = params[1] ?? options.hash.key;
    return tally(params[0], key == null || key === '' ? undefined : String(key));
  });
  h('upper', (...args) => stringify(split(args).params[0]).toUpperCase());
  h('lower', (...args) => stringify(split(args).params[0]).toLowerCase());
  h('length', (...args) => {
    const v = split(args).params[0];
    // Characters as `truncate` counts them, so an emoji is one.
    if (typeof v === 'string') return Array.from(v).length;
    if (Array.isArray(v)) return v.length;
    return v && typeof v === 'object' ? Object.keys(v).length : 0;
  });
  for (const [name, fn] of Object.entries(compare)) {
    h(name, (...args) => fn(split(args).params[0], split(args).params[1]));
  }
  h('and', (...args) => split(args).params.every(Boolean));
  h('or', (...args) => split(args).params.some(Boolean));
  h('not', (...args) => !split(args).params[0]);
}
