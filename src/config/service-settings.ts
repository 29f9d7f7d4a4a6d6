import { LOG_LEVELS, type LogLevel } from '../log.ts';

/** The settings every runtime reads from its environment, with defaults; errors name the variable. */
export interface ServiceSettings {
  maxBodyBytes: number;
  maxAgeMs: number;
  idempotencyWindowMs: number;
  retentionMs: number;
  logLevel: LogLevel;
}

const HOUR = 3_600_000;

/**
 * Events received before this may be pruned (those nothing waits on): after the retention period,
 * but never within the idempotency window, where a repeat must still find the event it repeats.
 */
export const pruneBefore = (s: Pick<ServiceSettings, 'retentionMs' | 'idempotencyWindowMs'>, now: number) => now - Math.max(s.retentionMs, s.idempotencyWindowMs);

type Env = Readonly<Record<string, unknown>>;

/** A numeric variable: its value, or the fallback when unset; a bad value adds an error. */
export function numberSetting(env: Env, name: string, fallback: number, errors: string[], min = 0, max = Number.POSITIVE_INFINITY): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    errors.push(`${name} must be a number ≥ ${min}${max < Number.POSITIVE_INFINITY ? ` and ≤ ${max}` : ''}, got "${String(raw)}"`);
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

export const flagSetting = (v: unknown) => v === '1' || v === 'true' || v === 'yes' || v === true;

export function readServiceSettings(env: Env, errors: string[]): ServiceSettings {
  return {
    maxBodyBytes: numberSetting(env, 'SWITCHBOARD_MAX_BODY_BYTES', 1024 * 1024, errors, 1),
    maxAgeMs: numberSetting(env, 'SWITCHBOARD_MAX_AGE_HOURS', 24, errors) * HOUR,
    idempotencyWindowMs: numberSetting(env, 'SWITCHBOARD_IDEMPOTENCY_HOURS', 24, errors, 0, MAX_IDEMPOTENCY_HOURS) * HOUR,
    retentionMs: numberSetting(env, 'SWITCHBOARD_RETENTION_DAYS', 30, errors) * 24 * HOUR,
    logLevel: choiceSetting(env, 'SWITCHBOARD_LOG_LEVEL', LOG_LEVELS, 'info', errors),
  };
}
