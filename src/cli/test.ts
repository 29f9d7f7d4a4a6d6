import { trialJson, tryEvent, type Trial } from '../check/trial.ts';
import { formatError } from '../config/errors.ts';
import type { Config } from '../config/config.ts';
import { Planner } from '../deliver/plan.ts';
import { readRulesFile } from '../node/rules-file.ts';
import { compileTemplate } from '../node/template-compiler.ts';
import { formatFalsePart } from '../rules/explain.ts';
import { counted } from '../words.ts';
import { EXIT, type Out } from './exit.ts';
import { readPayloads, type Payload } from './payloads.ts';

/** A payload's result: its trial, or why it could not be tried. */
type Result = { source: string } & ({ ok: true; trial: Trial } | { ok: false; error: string });

/**
 * `switchboard test <payload.json | folder | events_id>...`: for each payload, what every rule did
 * with it and why (the false part of a condition, with the values it saw), and the message each
 * destination would get. Sends nothing. Exit 1 when a payload is invalid or a template fails on it.
 */
export function testPayloads(args: readonly string[], rulesFile: string, options: { json?: boolean } = {}, out: Out = console.log, err: Out = console.error): number {
  const payloads: Payload[] = [];
  for (const arg of args) {
    if (/\.ya?ml$/.test(arg)) {
      err(`${arg}: payloads are JSON; to run a test-cases file, use --cases ${arg}`);
      return EXIT.usage;
    }
    const read = readPayloads(arg, { samples: true });
    if (!read.ok) {
      err(read.error);
      return EXIT.usage;
    }
    payloads.push(...read.payloads);
  }
  const rules = loadRules(rulesFile, err);
  if (!rules.ok) return rules.code;
  const { config } = rules;
  const planner = new Planner(config, compileTemplate);
  const results: Result[] = payloads.map((p) =>
    p.parsed.ok ? { source: p.source, ok: true, trial: tryEvent(planner, p.parsed.eventId, p.parsed.value) } : { source: p.source, ok: false, error: p.parsed.error },
  );
  if (options.json) out(JSON.stringify(results.map(resultJson), null, 2));
  else {
    results.forEach((r, i) => {
      if (i > 0) out('');
      if (r.ok) printTrial(r.trial, r.source, out);
      else err(`${r.source}: ${r.error}`);
    });
  }
  const failed = results.some((r) => !r.ok || r.trial.deliveries.some((d) => d.renderError));
  return failed ? EXIT.problems : EXIT.ok;
}

/**
 * The rules file's configuration, or after printing its errors the exit code: 2 when the file does
 * not exist (the command was called wrongly), 1 when it is invalid.
 */
export function loadRules(rulesFile: string, err: Out): { ok: true; config: Config } | { ok: false; code: number } {
  const loaded = readRulesFile(rulesFile);
  if (loaded.result.ok) return { ok: true, config: loaded.result.config };
  for (const e of loaded.result.errors) err(formatError(e));
  err(`${counted(loaded.result.errors.length, 'error')} in ${rulesFile}`);
  return { ok: false, code: loaded.found ? EXIT.problems : EXIT.usage };
}

/** Each rule's decision, then each message. */
export function printTrial(trial: Trial, source: string, out: Out): void {
  const { event } = trial.envelope;
  out(`event ${trial.eventId} (object ${event.object_id}), from ${source}`);
  for (const rule of trial.rules) printRule(rule, trial.eventId, out);
  if (trial.deliveries.length === 0) out('no rule takes this event: nothing would be sent');
  for (const d of trial.deliveries) {
    out(`\n--- ${d.destination} (${d.type}) from rule ${d.rule}${d.renderError ? ` [template failed: ${d.renderError}; fallback shown]` : ''}`);
    out(JSON.stringify(d.message, null, 2));
  }
}

export function printRule(rule: Trial['rules'][number], eventId: string, out: Out, indent = '  '): void {
  if (rule.status === 'matched') {
    out(`${indent}MATCH  ${rule.name} → ${rule.to.join(', ')}`);
    for (const hold of rule.holds ?? []) out(`${indent}         ${hold}`);
  }
  else if (rule.status === 'not_taken') out(`${indent}-      ${rule.name}: does not take ${eventId}`);
  else {
    out(`${indent}skip   ${rule.name}: ${rule.reason}`);
    for (const part of rule.falseParts ?? []) out(`${indent}         ${formatFalsePart(part)}`);
  }
}

function resultJson(r: Result): unknown {
  return r.ok ? trialJson(r.trial, r.source) : { source: r.source, ok: false, error: r.error };
}
