import { readFileSync } from 'node:fs';
import { formatError } from '../config/errors.ts';
import { Planner } from '../deliver/plan.ts';
import { parseEnvelope } from '../events/envelope.ts';
import { loadRulesFile } from '../node/rules-file.ts';
import { compileTemplate } from '../node/template-compiler.ts';

/**
 * `switchboard test <payload.json>`: which rules take the payload and why, and the message each
 * destination would get. Sends nothing.
 */
export function testPayload(payloadFile: string, rulesFile: string, out = console.log, err = console.error): number {
  const loaded = loadRulesFile(rulesFile);
  if (!loaded.ok) {
    for (const e of loaded.errors) err(formatError(e));
    return 1;
  }
  let raw: string;
  try {
    raw = readFileSync(payloadFile, 'utf8');
  } catch (e) {
    err(`cannot read ${payloadFile}: ${(e as Error).message}`);
    return 1;
  }
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) {
    err(`${payloadFile}: ${parsed.error}`);
    return 1;
  }
  const planner = new Planner(loaded.config, compileTemplate);
  const plan = planner.plan({ eventId: parsed.eventId, envelope: parsed.value });
  const skipped = new Map(plan.skipped.map((s) => [s.rule, s.reason]));
  out(`event ${parsed.eventId} (object ${parsed.value.event.object_id})`);
  for (const rule of loaded.config.rules) {
    if (plan.matched.includes(rule.name)) out(`  MATCH  ${rule.name} → ${rule.to.join(', ')}`);
    else if (skipped.has(rule.name)) out(`  skip   ${rule.name}: ${skipped.get(rule.name)}`);
    else out(`  -      ${rule.name}: does not take ${parsed.eventId}`);
  }
  if (plan.deliveries.length === 0) out('no rule takes this event: nothing would be sent');
  for (const d of plan.deliveries) {
    out(`\n--- ${d.destination} (${d.type}) from rule ${d.rule}${d.renderError ? ` [template failed: ${d.renderError}; fallback shown]` : ''}`);
    out(JSON.stringify(d.message, null, 2));
  }
  return 0;
}
