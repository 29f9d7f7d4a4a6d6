import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { printable } from '../src/words.ts';

/** The fields part of the one line a logger writes for `fields`. */
function fieldsOf(fields: Record<string, unknown>): string {
  const lines: string[] = [];
  createLogger((l) => lines.push(l)).info('m', fields);
  return lines[0]!.slice(lines[0]!.indexOf(' INFO m') + ' INFO m'.length);
}

describe('log fields and terminal output escape control characters alike', () => {
  const hostile = 'a\u0000b\u001b[31mc\u007fd\u009be\u0085f\u2028g\u2029h';

  it('a plain word is written as it is; anything else quoted, with no control character left raw', () => {
    expect(fieldsOf({ id: 'clients.update', n: 3 })).toBe(' id=clients.update n=3');
    expect(fieldsOf({ text: 'two words' })).toBe(' text="two words"');
    const line = fieldsOf({ v: hostile });
    expect(line).toBe(' v="a\\u0000b\\u001b[31mc\\u007fd\\u009be\\u0085f\\u2028g\\u2029h"');
    expect(line).not.toMatch(/[\0-\x1f\x7f-\x9f\u2028\u2029]/);
  });

  it('printable escapes the same characters the same way, and newlines as \\u000a, for one output line', () => {
    expect(printable(hostile)).toBe('a\\u0000b\\u001b[31mc\\u007fd\\u009be\\u0085f\\u2028g\\u2029h');
    expect(printable('line\none\ttab')).toBe('line\\u000aone\\u0009tab');
    expect(fieldsOf({ v: 'line\none\ttab' })).toBe(' v="line\\none\\ttab"');
  });
});
