import { LOG_LEVELS, type LogLevel } from '../log.ts';

/** The settings every runtime reads from its environment, with defaults; errors name the variable. */
export interface ServiceSettings {
  maxBodyBytes: number;
  maxAgeMs: number;
  idempotencyWindowMs: number;
  retentionMs: number;
  logLevel: LogLevel;
  /** Answer the hook with the payload itself (handlers of VCS before 3.17). */
  echo: boolean;
}

const HOUR = 3_600_000;

/**
 * Events received before this may be pruned (those nothing waits on): after the retention period,
 * but never within the idempotency window, where a repeat must still find the event it repeats.
 */
export const pruneBefore = (s: Pick<ServiceSettings, 'retentionMs' | 'idempotencyWindowMs'>, now: number) => now - Math.max(s.retentionMs, s.idempotencyWindowMs);

type Env = Readonly<Record<string, unknown>>;

/** What a numeric variable may be: at least `min` (default 0), more than `above`, at most `max`, whole. */
export interface NumberRule {
  min?: number;
  above?: number;
  max?: number;
  integer?: boolean;
}

/**
 * A numeric variable: its value, or the fallback when unset or empty; a bad value adds an error.
 * Only plain decimals are taken: Number() would read " " as 0 (a maximum age of 0 makes every
 * failed delivery dead at once) and "0x10" as 16.
 */
export function numberSetting(env: Env, name: string, fallback: number, errors: string[], rule: NumberRule = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const text = String(raw).trim();
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  const { min = 0, above, max = Number.POSITIVE_INFINITY, integer = false } = rule;
  if (!Number.isFinite(n) || n < min || (above !== undefined && n <= above) || n > max || (integer && !Number.isInteger(n))) {
    const bounds = [above !== undefined ? `> ${above}` : `≥ ${min}`, ...(max < Number.POSITIVE_INFINITY ? [`≤ ${max}`] : [])].join(' and ');
    errors.push(`${name} must be ${integer ? 'a whole number' : 'a number'} ${bounds}, got "${String(raw)}"`);
    return fallback;
  }
  return n;
}

/**
 * Repeats are looked for this far back at most: 30 days. On Node the window's arrivals are held
 * with 32-bit offsets in ms (drivers/recent-payloads.ts), which reach about 49 days.
 */
const MAX_IDEMPOTENCY_HOURS = 720;

/** A variable that takes one of a few words: its value, or the fallback when unset; another word adds an error. */
export function choiceSetting<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T, errors: string[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((choices as readonly unknown[]).includes(raw)) return raw as T;
  errors.push(`${name} must be one of ${choices.join(', ')}, got "${String(raw)}"`);
  return fallback;
}

const ON = ['1', 'true', 'yes', 'on'];
const OFF = ['0', 'false', 'no', 'off'];

/**
 * An on/off variable: its value, or the fallback when unset or empty; another word adds an error,
 * so that a typo never leaves a setting silently as it was (`SWITCHBOARD_FSYNC=ture` without fsync).
 * Workers' vars may be TOML booleans: `true` reads as "true".
 */
export function switchSetting(env: Env, name: string, fallback: boolean, errors: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (ON.includes(String(raw))) return true;
  if (OFF.includes(String(raw))) return false;
  errors.push(`${name} must be one of ${[...OFF, ...ON].join(', ')}, got "${String(raw)}"`);
  return fallback;
}

export function readServiceSettings(env: Env, errors: string[]): ServiceSettings {
  return {
    maxBodyBytes: numberSetting(env, 'SWITCHBOARD_MAX_BODY_BYTES', 1024 * 1024, errors, { min: 1, integer: true }),
    maxAgeMs: numberSetting(env, 'SWITCHBOARD_MAX_AGE_HOURS', 24, errors, { above: 0 }) * HOUR,
    idempotencyWindowMs: numberSetting(env, 'SWITCHBOARD_IDEMPOTENCY_HOURS', 24, errors, { max: MAX_IDEMPOTENCY_HOURS }) * HOUR,
    retentionMs: numberSetting(env, 'SWITCHBOARD_RETENTION_DAYS', 30, errors) * 24 * HOUR,
    logLevel: choiceSetting(env, 'SWITCHBOARD_LOG_LEVEL', LOG_LEVELS, 'info', errors),
    echo: switchSetting(env, 'SWITCHBOARD_ECHO', false, errors),
  };
}
