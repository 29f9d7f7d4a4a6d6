import { join } from 'node:path';

/** Settings read from the environment, with defaults; errors say which variable and what it takes. */
export interface NodeSettings {
  rulesFile: string;
  host: string;
  port: number;
  dataDir: string;
  dbFile: string;
  fsync: boolean;
  maxBodyBytes: number;
  maxAgeMs: number;
  idempotencyWindowMs: number;
  retentionMs: number;
}

const HOUR = 3_600_000;

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, errors: string[], min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    errors.push(`${name} must be a number ≥ ${min}, got "${raw}"`);
    return fallback;
  }
  return n;
}

const flag = (v: string | undefined) => v === '1' || v === 'true' || v === 'yes';

export function readSettings(env: NodeJS.ProcessEnv = process.env): { ok: true; value: NodeSettings } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const dataDir = env.DATA_DIR || 'data';
  const value: NodeSettings = {
    rulesFile: env.RULES_FILE || 'rules.yaml',
    host: env.HOST || '0.0.0.0',
    port: number(env, 'PORT', 8787, errors),
    dataDir,
    dbFile: join(dataDir, 'switchboard.db'),
    fsync: flag(env.SWITCHBOARD_FSYNC),
    maxBodyBytes: number(env, 'SWITCHBOARD_MAX_BODY_BYTES', 1024 * 1024, errors, 1),
    maxAgeMs: number(env, 'SWITCHBOARD_MAX_AGE_HOURS', 24, errors) * HOUR,
    idempotencyWindowMs: number(env, 'SWITCHBOARD_IDEMPOTENCY_HOURS', 24, errors) * HOUR,
    retentionMs: number(env, 'SWITCHBOARD_RETENTION_DAYS', 30, errors) * 24 * HOUR,
  };
  return errors.length ? { ok: false, errors } : { ok: true, value };
}
