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
