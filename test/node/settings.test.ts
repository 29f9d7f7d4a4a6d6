import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/node/settings.ts';
import { readServiceSettings } from '../../src/config/service-settings.ts';

describe('SWITCHBOARD_WATCH', () => {
  const watch = (value?: string) => {
    const read = readSettings(value === undefined ? {} : { SWITCHBOARD_WATCH: value });
    return read.ok ? read.value.watch : read.errors;
  };

  it('watches unless told not to, in the words flags take elsewhere', () => {
    expect([undefined, '', '1', 'true', 'yes', 'on'].map(watch)).toEqual([true, true, true, true, true, true]);
    expect(['0', 'false', 'no', 'off'].map(watch)).toEqual([false, false, false, false]);
  });

  it('refuses a word it does not know, rather than watching anyway', () => {
    expect(watch('flase')).toEqual(['SWITCHBOARD_WATCH must be one of 0, false, no, off, 1, true, yes, on, got "flase"']);
  });
});

describe('SWITCHBOARD_FSYNC and SWITCHBOARD_ECHO', () => {
  const read = (env: Record<string, string>) => {
    const r = readSettings(env);
    return r.ok ? { fsync: r.value.fsync, echo: r.value.echo } : r.errors;
  };

  it('are off unless turned on, in the same words as SWITCHBOARD_WATCH', () => {
    expect(read({})).toEqual({ fsync: false, echo: false });
    expect(read({ SWITCHBOARD_FSYNC: 'on', SWITCHBOARD_ECHO: 'yes' })).toEqual({ fsync: true, echo: true });
    expect(read({ SWITCHBOARD_FSYNC: '0', SWITCHBOARD_ECHO: 'off' })).toEqual({ fsync: false, echo: false });
  });

  it('refuse a word they do not know, rather than running without fsync as if asked to', () => {
    expect(read({ SWITCHBOARD_FSYNC: 'ture', SWITCHBOARD_ECHO: 'enabled' })).toEqual([
      'SWITCHBOARD_FSYNC must be one of 0, false, no, off, 1, true, yes, on, got "ture"',
      'SWITCHBOARD_ECHO must be one of 0, false, no, off, 1, true, yes, on, got "enabled"',
    ]);
  });
});

describe('the settings both runtimes read', () => {
  it('take a Workers var given as a TOML boolean', () => {
    const errors: string[] = [];
    expect(readServiceSettings({ SWITCHBOARD_ECHO: true }, errors).echo).toBe(true);
    expect(readServiceSettings({ SWITCHBOARD_ECHO: false }, errors).echo).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe('SWITCHBOARD_REQUEST_TIMEOUT_MS', () => {
  const timeout = (value?: string) => {
    const read = readSettings(value === undefined ? {} : { SWITCHBOARD_REQUEST_TIMEOUT_MS: value });
    return read.ok ? read.value.requestTimeoutMs : read.errors;
  };

  it('gives a client 10 s for its whole request unless told otherwise', () => {
    expect([undefined, '', '2500'].map(timeout)).toEqual([10_000, 10_000, 2_500]);
  });

  it('refuses no time at all, and a unit, rather than guessing', () => {
    expect(timeout('0')).toEqual([expect.stringContaining('SWITCHBOARD_REQUEST_TIMEOUT_MS')]);
    expect(timeout('10s')).toEqual([expect.stringContaining('SWITCHBOARD_REQUEST_TIMEOUT_MS')]);
  });
});
