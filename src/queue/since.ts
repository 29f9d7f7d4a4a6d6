import { parseDuration } from '../hold/duration.ts';

/**
 * `--since` (and the API's `since`): a duration back from now, written as rules.yaml writes one
 * (`30m`, `6h`, `1h30m`, `2d`: the same parser), or an ISO date or date-time. Milliseconds since
 * epoch; else `error` says what it must be, to follow the option's name (`--since must be ...`).
 */
export function parseSince(text: string, now = Date.now()): { ok: true; value: number } | { ok: false; error: string } {
  // A bare number, which rules read as seconds, is refused here: `--since 2026` is a year to
  // whoever types it, and Date.parse would take "2" as the year 2001.
  const ms = /^\s*\d+\s*$/.test(text) ? undefined : parseDuration(text);
  if (ms !== undefined) return { ok: true, value: now - ms };
  // Only text that looks like a date counts as one.
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isNaN(at)) return { ok: true, value: at };
  return { ok: false, error: `must be a duration such as 30m, 6h, 1h30m or 2d, or an ISO date or date-time such as 2026-11-26 or 2026-11-26T08:00:00Z, got "${text}"` };
}
