import { describe, expect, it } from 'vitest';
import { formatFalsePart, whyFalse } from '../../src/rules/explain.ts';
import type { Logic } from '../../src/rules/condition.ts';

const ctx = { event: { events_id: 'importd.process_success', object_id: 911 }, data: { rates: { increased: 14, new: 120 }, status: 'inactive', tags: ['a'] } };
const why = (logic: unknown, context: unknown = ctx) => whyFalse(logic as Logic, context).map(formatFalsePart);

describe('whyFalse: the part of a condition that was false, where it is, and the values it saw', () => {
  it('a comparison', () => {
    expect(whyFalse({ '>': [{ var: 'data.rates.increased' }, 50] }, ctx)).toEqual([
      { path: 'when', expression: 'data.rates.increased > 50', values: [{ name: 'data.rates.increased', value: 14, missing: false }] },
    ]);
  });

  it('and: the first operand that is false, by its place', () => {
    expect(why({ and: [{ '>': [{ var: 'data.rates.new' }, 100] }, { '==': [{ var: 'data.status' }, 'active'] }, { '>': [{ var: 'data.rates.increased' }, 50] }] })).toEqual([
      'when.and[1]: data.status == "active" is false (data.status = "inactive")',
    ]);
  });

  it('or: every operand', () => {
    expect(why({ or: [{ '>': [{ var: 'data.rates.increased' }, 50] }, { in: ['b', { var: 'data.tags' }] }] })).toEqual([
      'when.or[0]: data.rates.increased > 50 is false (data.rates.increased = 14)',
      'when.or[1]: "b" in data.tags is false (data.tags = ["a"])',
    ]);
  });

  it('a missing field is told apart from a null one', () => {
    expect(why({ '==': [{ var: 'data.credit' }, null] }, { data: { credit: 5 } })).toEqual(['when: data.credit == null is false (data.credit = 5)']);
    expect(why({ '>': [{ var: 'data.credit' }, 1000] }, { data: {} })).toEqual(['when: data.credit > 1000 is false (data.credit is missing)']);
  });

  it('not, between, the branch an if took, nested operations and defaults', () => {
    expect(why({ '!': { var: 'data.status' } })).toEqual(['when: !data.status is false (data.status = "inactive")']);
    expect(why({ '<': [0, { var: 'data.rates.increased' }, 10] })).toEqual(['when: 0 < data.rates.increased < 10 is false (data.rates.increased = 14)']);
    expect(why({ if: [{ var: 'data.status' }, { '>': [{ var: 'data.rates.new' }, 500] }, true] })).toEqual([
      'when.if[1]: data.rates.new > 500 is false (data.rates.new = 120)',
    ]);
    expect(why({ '>': [{ '+': [{ var: 'data.rates.new' }, { var: ['data.rates.gone', 0] }] }, 500] })).toEqual([
      'when: (data.rates.new + data.rates.gone ?? 0) > 500 is false (data.rates.new = 120, data.rates.gone is missing)',
    ]);
  });

  it('a condition that is simply false, or an operator json-logic applies per item', () => {
    expect(why(false)).toEqual(['when: false is false']);
    expect(why({ some: [{ var: 'data.tags' }, { '==': [{ var: '' }, 'b'] }] })).toEqual(['when: some(data.tags, var("") == "b") is false (data.tags = ["a"])']);
  });
});
