import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/node/settings.ts';

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
