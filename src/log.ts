import { printable } from './words.ts';

/** Structured log lines: `2026-01-24T15:44:47.216Z INFO message key=value ...`. */
export type Fields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** Log levels, least severe first: a logger writes the entries of its level and the ones after it. */
export const LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A field's value: as it is when it is one plain word, else quoted and escaped. Values come from
 * requests too (an event id, an object id), so control characters (NUL, the escape sequences a
 * terminal acts on, their 8-bit forms) and line separators are always escaped, never written.
 */
function formatValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  if (s !== undefined && /^[^\s"=\0-\x1f\x7f-\x9f]+$/.test(s)) return s;
  // JSON escapes NUL to U+001F itself (a newline as `\n`); printable escapes what JSON leaves.
  return printable(JSON.stringify(s ?? null));
}

/** A logger writing one line per entry of `level` or worse through `write` (stdout by default). */
export function createLogger(write: (line: string) => void = (l) => console.log(l), level: LogLevel = 'info'): Logger {
  const least = LOG_LEVELS.indexOf(level);
  const log = (name: string) => (message: string, fields: Fields = {}) => {
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${formatValue(v)}`)
      .join('');
    write(`${new Date().toISOString()} ${name} ${message}${extra}`);
  };
  const at = (l: LogLevel) => (LOG_LEVELS.indexOf(l) >= least ? log(l.toUpperCase()) : () => {});
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything, for commands whose output is their result. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
