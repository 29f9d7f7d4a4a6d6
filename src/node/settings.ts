import { join } from 'node:path';
import { numberSetting, readServiceSettings, switchSetting, type ServiceSettings } from '../config/service-settings.ts';

/** Settings read from the environment, with defaults; errors say which variable and what it takes. */
export interface NodeSettings extends ServiceSettings {
  rulesFile: string;
  host: string;
  port: number;
  dataDir: string;
  dbFile: string;
  fsync: boolean;
  /** Whether rules.yaml and its templates are watched for changes (SIGHUP reloads either way). */
  watch: boolean;
  /** How long a client has to send a whole request (headers and body) before it is answered 408 and cut off. */
  requestTimeoutMs: number;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): { ok: true; value: NodeSettings } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const dataDir = env.DATA_DIR || 'data';
  const value: NodeSettings = {
    rulesFile: env.RULES_FILE || 'rules.yaml',
    host: env.HOST || '0.0.0.0',
    port: numberSetting(env, 'PORT', 8787, errors, { max: 65_535, integer: true }),
    dataDir,
    dbFile: join(dataDir, 'switchboard.db'),
    fsync: switchSetting(env, 'SWITCHBOARD_FSYNC', false, errors),
    watch: switchSetting(env, 'SWITCHBOARD_WATCH', true, errors),
    requestTimeoutMs: numberSetting(env, 'SWITCHBOARD_REQUEST_TIMEOUT_MS', 10_000, errors, { min: 1, integer: true }),
    ...readServiceSettings(env, errors),
  };
  return errors.length ? { ok: false, errors } : { ok: true, value };
}
