import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { caseSchema, casesFileSchema, type Case } from '../check/cases-schema.ts';
import { tryEvent, type Trial } from '../check/trial.ts';
import type { Config } from '../config/config.ts';
import { didYouMean } from '../config/did-you-mean.ts';
import { formatError, Locator, type ConfigError } from '../config/errors.ts';
import { check } from '../config/zod-issues.ts';
import { Planner } from '../deliver/plan.ts';
import { parseEnvelope, type VcsEvent } from '../events/envelope.ts';
import { SAMPLE_IDS, samplePayload } from '../events/samples.ts';
import { compileTemplate } from '../node/template-compiler.ts';
import { counted } from '../words.ts';
import { EXIT, type Out } from './exit.ts';
import { unwrapExplanation } from './payloads.ts';
import { loadRules, printRule } from './test.ts';

/** A case ready to run: its payload and where it is. */
interface Ready {
  readonly name: string;
  readonly line: number;
  readonly envelope: VcsEvent;
  readonly eventId: string;
  readonly expect: Case['expect'];
}

interface CaseResult {
  readonly case: Ready;
  readonly trial: Trial;
  readonly problems: string[];
}

/**
 * `switchboard test --cases cases.yaml`: runs every case through the rules and templates, sending
 * nothing. Exit 0 when each case's rules and destinations are the expected ones and every message
 * rendered; 1 otherwise, or when the file has mistakes (each with file:line:col).
 */
export function runCases(casesFile: string, rulesFile: string, options: { json?: boolean } = {}, out: Out = console.log, err: Out = console.error): number {
  let source: string;
  try {
    source = readFileSync(casesFile, 'utf8');
  } catch {
    err(`${casesFile}: no such file`);
    return EXIT.usage;
  }
  const rules = loadRules(rulesFile, err);
  if (!rules.ok) return rules.code;
  const { config } = rules;
  const read = readCases(casesFile, source, config);
  if (!read.ok) {
    for (const e of read.errors) err(formatError(e));
    err(`${counted(read.errors.length, 'error')} in ${casesFile}`);
    return EXIT.problems;
  }
  const planner = new Planner(config, compileTemplate);
  const results = read.cases.map((c) => runCase(planner, c));
  const failed = results.filter((r) => r.problems.length > 0).length;
  if (options.json) {
    out(JSON.stringify({ file: casesFile, ok: failed === 0, passed: results.length - failed, failed, cases: results.map(caseJson) }, null, 2));
  } else {
    for (const r of results) printResult(r, casesFile, out);
    out(`${counted(results.length, 'case')}: ${results.length - failed} passed, ${failed} failed`);
  }
  return failed > 0 ? EXIT.problems : EXIT.ok;
}

function readCases(file: string, source: string, config: Config): { ok: true; cases: Ready[] } | { ok: false; errors: ConfigError[] } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const at = new Locator(file, doc, lines);
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => at.at(e.pos[0], `YAML syntax: ${e.message.split('\n')[0]}`)) };
  const errors: ConfigError[] = [];
  const parsed = check(casesFileSchema, doc.toJS() ?? {}, [], at, errors);
  const rules = config.rules.map((r) => r.name);
  const destinations = [...config.destinations.keys()];
  const cases = (parsed?.cases ?? []).map((raw, i): Ready | undefined => {
    const path = ['cases', i];
    const c = check(caseSchema, raw, path, at, errors);
    if (!c) return undefined;
    const unknown = (list: string[] | undefined, known: string[], what: string, key: string) =>
      list?.forEach((n, j) => known.includes(n) || errors.push(at.error([...path, 'expect', key, j], `no ${what} is named "${n}"${didYouMean(n, known)}`)));
    unknown(c.expect.rules, rules, 'rule', 'rules');
    unknown(c.expect.destinations, destinations, 'destination', 'destinations');
    const envelope = payloadOf(c, dirname(resolve(file)), (key, message) => errors.push(at.error([...path, key], message)));
    if (!envelope) return undefined;
    const ok = parseEnvelope(JSON.stringify(envelope));
    if (!ok.ok) {
      errors.push(at.error([...path, c.event !== undefined ? 'data' : 'payload'], `not a valid payload: ${ok.error}`));
      return undefined;
    }
    const line = at.error(path, '').line;
    return { name: c.name ?? `case ${i + 1} (${ok.eventId})`, line, envelope: ok.value, eventId: ok.eventId, expect: c.expect };
  });
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.col - b.col) };
  return { ok: true, cases: cases as Ready[] };
}

/** The case's payload: a sample or a file or inline, with `data` merged in. */
function payloadOf(c: Case, dir: string, fail: (key: string, message: string) => void): Record<string, unknown> | undefined {
  let payload: unknown;
  if (c.event !== undefined) {
    payload = samplePayload(c.event);
    if (!payload) return void fail('event', `unknown event id "${c.event}"${didYouMean(c.event, SAMPLE_IDS)}`);
  } else if (typeof c.payload === 'string') {
    try {
      payload = unwrapExplanation(JSON.parse(readFileSync(resolve(dir, c.payload), 'utf8')));
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON: ${(e as Error).message}`;
      return void fail('payload', `payload file "${c.payload}" ${why}`);
    }
  } else payload = c.payload;
  if (c.data === undefined) return payload as Record<string, unknown>;
  const p = payload as Record<string, unknown>;
  return { ...p, data: merge(p.data, c.data) };
}

/** `data` merged into the payload's: mappings key by key, anything else replaced. */
function merge(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function runCase(planner: Planner, c: Ready): CaseResult {
  const trial = tryEvent(planner, c.eventId, c.envelope);
  const problems: string[] = [];
  const matched = trial.rules.filter((r) => r.status === 'matched').map((r) => r.name);
  const reached = [...new Set(trial.deliveries.map((d) => d.destination))];
  const compare = (what: string, expected: string[] | undefined, actual: string[]) => {
    if (expected && !sameSet(expected, actual)) problems.push(`${what}: expected ${listOf(expected)}, got ${listOf(actual)}`);
  };
  compare('rules', c.expect.rules, matched);
  compare('destinations', c.expect.destinations, reached);
  for (const d of trial.deliveries) if (d.renderError) problems.push(`the message to ${d.destination} from rule ${d.rule} does not render: ${d.renderError}`);
  return { case: c, trial, problems };
}

const sameSet = (a: readonly string[], b: readonly string[]) => new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));
const listOf = (names: readonly string[]) => (names.length ? names.join(', ') : '(none)');

function printResult(r: CaseResult, file: string, out: Out): void {
  out(`${r.problems.length ? 'FAIL' : 'PASS'}  ${r.case.name}  (${file}:${r.case.line})`);
  if (r.problems.length === 0) return;
  for (const p of r.problems) out(`        ${p}`);
  // Why the expected rules did not take the event, and what took it instead.
  const expected = r.case.expect.rules ?? [];
  for (const rule of r.trial.rules) {
    if ((rule.status === 'matched') !== expected.includes(rule.name)) printRule(rule, r.case.eventId, out, '        ');
  }
}

function caseJson(r: CaseResult): unknown {
  return {
    name: r.case.name,
    line: r.case.line,
    ok: r.problems.length === 0,
    eventId: r.case.eventId,
    expected: r.case.expect,
    actual: { rules: r.trial.rules.filter((x) => x.status === 'matched').map((x) => x.name), destinations: [...new Set(r.trial.deliveries.map((d) => d.destination))] },
    problems: r.problems,
    rules: r.trial.rules,
  };
}
