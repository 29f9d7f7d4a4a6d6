/** Structured log lines: `2026-01-24T15:44:47.216Z INFO message key=value ...`. */
export type Fields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

function formatValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s !== undefined && /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s ?? null);
}

/** A logger writing one line per entry through `write` (stdout by default). */
export function createLogger(write: (line: string) => void = (l) => console.log(l)): Logger {
  const log = (level: string) => (message: string, fields: Fields = {}) => {
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${formatValue(v)}`)
      .join('');
    write(`${new Date().toISOString()} ${level} ${message}${extra}`);
  };
  return { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** A logger that drops everything, for commands whose output is their result. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
