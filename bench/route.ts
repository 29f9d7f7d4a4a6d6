/**
 * Routing cost against the size of rules.yaml: 1,000 rules over the 22 event ids, against a baseline
 * file of one rule per event id, measured in the same run.
 */
import { channelKinds } from '../src/channels/index.ts';
import { loadConfig } from '../src/config/load.ts';
import { EVENTS, EVENT_IDS } from '../src/events/catalog.ts';
import { Router } from '../src/rules/router.ts';
import { compileTemplate } from '../src/node/template-compiler.ts';

function rulesYaml(count: number): string {
  const lines = ['destinations:', '  d: { type: webhook, url: "http://127.0.0.1:9/" }', 'rules:'];
  for (let i = 0; i < count; i++) {
    const id = EVENT_IDS[i % EVENT_IDS.length]!;
    // Half the rules carry a condition that is false for the samples, so evaluation runs on.
    const when = i % 2 === 0 ? `, when: { ">": [{ var: data.rates.increased }, ${1_000_000 + i}] }` : '';
    lines.push(`  - { name: r${i}, events: ${id}${when}, to: d, continue: true }`);
  }
  return lines.join('\n');
}

function router(count: number): Router {
  const loaded = loadConfig(rulesYaml(count), { file: 'bench.yaml', env: {}, kinds: channelKinds(), compile: compileTemplate, readFile: () => undefined });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
  return new Router(loaded.config);
}

function perEventMicros(r: Router, rounds: number): number {
  const events = EVENT_IDS.map((id) => {
    const s = EVENTS[id]!.sample as { event: unknown; data: unknown };
    return { id, ctx: { event: s.event, data: s.data } };
  });
  for (let i = 0; i < 2_000; i++) for (const e of events) r.route(e.id, e.ctx); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const e of events) r.route(e.id, e.ctx);
  return Number(process.hrtime.bigint() - start) / 1_000 / (rounds * events.length);
}

export function benchRouting(): void {
  const baseline = perEventMicros(router(EVENT_IDS.length), 20_000);
  const big = perEventMicros(router(1_000), 5_000);
  console.log('routing (rules.yaml size)');
  console.log(`  ${EVENT_IDS.length} rules (baseline): ${baseline.toFixed(2)} µs per event`);
  console.log(`  1000 rules:            ${big.toFixed(2)} µs per event = ${(big / baseline).toFixed(1)}× baseline (${Math.round(1_000 / EVENT_IDS.length)}× the rules per event id)`);
}
