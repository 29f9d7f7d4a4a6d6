import { describe, expect, it } from 'vitest';
import { readServiceSettings } from '../../src/config/service-settings.ts';
import { createLogger } from '../../src/log.ts';

describe('SWITCHBOARD_IDEMPOTENCY_HOURS', () => {
  it('looks back at most 30 days', () => {
    const errors: string[] = [];
    expect(readServiceSettings({ SWITCHBOARD_IDEMPOTENCY_HOURS: '720' }, errors).idempotencyWindowMs).toBe(720 * 3_600_000);
    readServiceSettings({ SWITCHBOARD_IDEMPOTENCY_HOURS: '1000' }, errors);
    expect(errors).toEqual(['SWITCHBOARD_IDEMPOTENCY_HOURS must be a number ≥ 0 and ≤ 720, got "1000"']);
  });
});

describe('numeric settings', () => {
  const errorsOf = (env: Record<string, string>) => {
    const errors: string[] = [];
    readServiceSettings(env, errors);
    return errors;
  };

  it('take plain decimals only: a blank value is not 0, nor 0x10 16', () => {
    expect(errorsOf({ SWITCHBOARD_RETENTION_DAYS: '7.5', SWITCHBOARD_MAX_AGE_HOURS: ' 12 ' })).toEqual([]);
    expect(errorsOf({ SWITCHBOARD_MAX_AGE_HOURS: ' ', SWITCHBOARD_RETENTION_DAYS: '0x10', SWITCHBOARD_IDEMPOTENCY_HOURS: '1e2' })).toEqual([
      'SWITCHBOARD_MAX_AGE_HOURS must be a number > 0, got " "',
      'SWITCHBOARD_IDEMPOTENCY_HOURS must be a number ≥ 0 and ≤ 720, got "1e2"',
      'SWITCHBOARD_RETENTION_DAYS must be a number ≥ 0, got "0x10"',
    ]);
  });

  it('refuse a maximum age of 0, which would make every failed delivery dead at once, and a body limit that is not whole', () => {
    expect(errorsOf({ SWITCHBOARD_MAX_AGE_HOURS: '0', SWITCHBOARD_MAX_BODY_BYTES: '1.5' })).toEqual([
      'SWITCHBOARD_MAX_BODY_BYTES must be a whole number ≥ 1, got "1.5"',
      'SWITCHBOARD_MAX_AGE_HOURS must be a number > 0, got "0"',
    ]);
  });
});

describe('SWITCHBOARD_LOG_LEVEL', () => {
  const read = (env: Record<string, string>) => {
    const errors: string[] = [];
    return { level: readServiceSettings(env, errors).logLevel, errors };
  };

  it('is info when unset, takes warn or error, and names the words it takes otherwise', () => {
    expect(read({})).toEqual({ level: 'info', errors: [] });
    expect(read({ SWITCHBOARD_LOG_LEVEL: 'warn' })).toEqual({ level: 'warn', errors: [] });
    expect(read({ SWITCHBOARD_LOG_LEVEL: 'debug' })).toEqual({ level: 'info', errors: ['SWITCHBOARD_LOG_LEVEL must be one of info, warn, error, got "debug"'] });
  });

  it('drops the entries less severe than it', () => {
    const lines: string[] = [];
    const levels = (level: 'info' | 'warn' | 'error') => {
      lines.length = 0;
      const log = createLogger((l) => lines.push(l.split(' ')[1]!), level);
      log.info('received');
      log.warn('slow');
      log.error('failed');
      return [...lines];
    };
    expect(levels('info')).toEqual(['INFO', 'WARN', 'ERROR']);
    expect(levels('warn')).toEqual(['WARN', 'ERROR']);
    expect(levels('error')).toEqual(['ERROR']);
  });
});
