const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from now (`30m`, `6h`, `2d`) or an ISO date-time. Milliseconds since epoch. */
export function parseSince(text: string, now = Date.now()): { ok: true; value: number } | { ok: false; error: string } {
  const rel = text.match(/^(\d+(?:\.\d+)?)([smhd])$/);
  if (rel) return { ok: true, value: now - Number(rel[1]) * UNITS[rel[2]!]! };
  // Date.parse takes "2" as the year 2001: only text that looks like a date counts as one.
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isNaN(at)) return { ok: true, value: at };
  return { ok: false, error: `since: expected a duration such as 30m, 6h or 2d, or an ISO date-time; got "${text}"` };
}
