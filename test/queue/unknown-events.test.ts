/**
 * An event id outside VCS's catalog and the rules' extra_events: stored and routed like any other
 * (patterns may take it), and said once in the log, with the id it most likely meant.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { routeStored } from '../../src/queue/routing.ts';
import { plannerFor } from '../support/rules.ts';

const RULES = `
extra_events: [clients.merged]
destinations:
  audit: { type: webhook, url: "http://127.0.0.1:9/audit" }
rules:
  - { name: zero, events: clients.balance_zero, to: audit }
  - { name: every-client-event, events: "clients.*", to: audit }
`;

let n = 0;
const stored = (eventsId: string) => ({
  id: `e${++n}`,
  receivedAt: 0,
  raw: JSON.stringify({ event: { dt: '2026-11-27T10:00:00+02:00', events_id: eventsId, object_id: n }, data: {} }),
});

describe('an event id outside the catalog', () => {
  it('is routed by the patterns that take it, and logged once per id with the id it likely meant', async () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l));
    const p = plannerFor(RULES);
    const padded = stored(' clients.balance_zero');
    const routing = await routeStored(padded, p, log);
    expect(routing.plan.matched).toEqual([]);
    expect((await routeStored(stored('clients.balance_zero'), p, log)).plan.matched).toEqual(['zero']);
    expect((await routeStored(stored('clients.renamed'), p, log)).plan.matched).toEqual(['every-client-event']);
    await routeStored(stored(' clients.balance_zero'), p, log);
    // Known ones are not: from the catalog, and from extra_events.
    await routeStored(stored('clients.merged'), p, log);
    await routeStored(stored('clients.create'), p, log);

    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      `WARN event id not in VCS's catalog nor under extra_events; only rules with patterns can take it (did you mean "clients.balance_zero"?) (said once per id) event=${padded.id} events_id=" clients.balance_zero"`,
      expect.stringMatching(/^WARN event id not in VCS's catalog nor under extra_events; only rules with patterns can take it \(said once per id\) event=e\d+ events_id=clients\.renamed$/),
    ]);
  });

  it('stops remembering ids past a hundred, so that a sender making them up cannot grow memory', async () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l));
    const p = plannerFor(RULES);
    for (let i = 0; i < 150; i++) await routeStored(stored(`made.up_${i}`), p, log);
    expect(lines).toHaveLength(100);
  });
});
