import { describe, expect, it } from 'vitest';
import { runCases } from '../../src/cli/test-cases.ts';

const DIR = 'test/fixtures/cases';

function run(file: string, json = false) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCases(file, 'rules.yaml', { json }, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('switchboard test --cases', () => {
  it('the shipped rules.test.yaml passes against the shipped rules.yaml', () => {
    const r = run('rules.test.yaml');
    expect(r.err).toEqual([]);
    expect(r.out.at(-1)).toBe('8 cases: 8 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('says what differs, and why the expected rule did not take the event; exit 1', () => {
    const r = run(`${DIR}/failing.test.yaml`);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      `PASS  case 1 (clients.balance_zero)  (${DIR}/failing.test.yaml:3)`,
      `FAIL  every import goes to the rate desk  (${DIR}/failing.test.yaml:5)`,
      '        rules: expected big-rate-increase, got (none)',
      '        destinations: expected rate_desk, got (none)',
      '        skip   big-rate-increase: condition is false',
      '                 when: data.rates.increased > 50 is false (data.rates.increased = 14)',
      `FAIL  a new client goes to finance  (${DIR}/failing.test.yaml:8)`,
      '        destinations: expected finance, got (none)',
      '3 cases: 1 passed, 2 failed',
    ]);
  });

  it('--json: each case with what was expected and what happened', () => {
    const r = run(`${DIR}/failing.test.yaml`, true);
    const doc = JSON.parse(r.out.join('\n'));
    expect(doc).toMatchObject({ file: `${DIR}/failing.test.yaml`, ok: false, passed: 1, failed: 2 });
    expect(doc.cases[1]).toMatchObject({
      name: 'every import goes to the rate desk',
      line: 5,
      ok: false,
      eventId: 'importd.process_success',
      expected: { rules: ['big-rate-increase'], destinations: ['rate_desk'] },
      actual: { rules: [], destinations: [] },
      problems: ['rules: expected big-rate-increase, got (none)', 'destinations: expected rate_desk, got (none)'],
    });
    expect(doc.cases[1].rules.find((x: { name: string }) => x.name === 'big-rate-increase').falseParts).toEqual([
      { path: 'when', expression: 'data.rates.increased > 50', values: [{ name: 'data.rates.increased', value: 14, missing: false }] },
    ]);
  });

  it('every mistake in the file at once, with file:line:col; no case runs', () => {
    const r = run(`${DIR}/mistakes.test.yaml`);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    const at = (pos: string, rest: string) => `${DIR}/mistakes.test.yaml:${pos}: ${rest}`;
    expect(r.err).toEqual([
      at('5:23', 'cases[0].expect.rules[0]: no rule is named "rate-import-faild" (did you mean "rate-import-failed"?)'),
      at('5:58', 'cases[0].expect.destinations[0]: no destination is named "rate-desk" (did you mean "rate_desk"?)'),
      at('7:12', 'cases[1].event: unknown event id "importd.proces_failed" (did you mean "importd.process_failed"?)'),
      at('9:5', 'cases[2]: a case needs either "event" (a built-in sample) or "payload", not both'),
      at('14:14', 'cases[3].payload: payload file "no-such-payload.json" not found'),
      at('18:13', 'cases[4].expect: expect needs "rules", "destinations" or both'),
      at('19:5', 'cases[5].expect: missing required key "expect" (what must happen)'),
      at('21:5', 'cases[5].expects: unknown key "expects" (did you mean "expect"?); expected one of: name, event, payload, data, expect'),
      at('23:14', 'cases[6].payload: not a valid payload: "event.dt" must be an ISO 8601 date-time string, got "yesterday"'),
      `9 errors in ${DIR}/mistakes.test.yaml`,
    ]);
  });

  it('a message that would not render fails its case', () => {
    const out: string[] = [];
    const code = runCases(`${DIR}/render.test.yaml`, 'test/fixtures/rules/operators-routing.yaml', {}, (l) => out.push(l), () => {});
    expect(code).toBe(1);
    expect(out).toEqual([
      `FAIL  a broken template  (${DIR}/render.test.yaml:3)`,
      '        the message to desk from rule broken-template does not render: The partial nope could not be found',
      '1 case: 0 passed, 1 failed',
    ]);
  });

  it('a rule naming the pre-3.23 spelling of an event takes it', () => {
    const out: string[] = [];
    expect(runCases(`${DIR}/old-spelling.test.yaml`, `${DIR}/old-spelling.yaml`, {}, (l) => out.push(l), () => {})).toBe(0);
    expect(out.at(-1)).toBe('2 cases: 2 passed, 0 failed');
  });

  it('a cases file that does not exist is a usage error', () => {
    expect(run(`${DIR}/no-such.test.yaml`)).toEqual({ code: 2, out: [], err: [`${DIR}/no-such.test.yaml: no such file`] });
  });
});
