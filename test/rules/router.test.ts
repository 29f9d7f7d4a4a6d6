import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/events/envelope.ts';
import { plannerFor as planner } from '../support/rules.ts';

const event = (id: string, data: Record<string, unknown> = {}, objectId: number | string = 12) => {
  const parsed = parseEnvelope(JSON.stringify({ event: { dt: '2022-01-24T15:44:47+00:00', events_id: id, object_id: objectId }, data }));
  if (!parsed.ok) throw new Error(parsed.error);
  return { eventId: parsed.eventId, envelope: parsed.value };
};

const HEAD = `
destinations:
  a: { type: webhook, url: "http://127.0.0.1:9/a" }
  b: { type: webhook, url: "http://127.0.0.1:9/b" }
rules:
`;

describe('rule order and continue', () => {
  const p = planner(`${HEAD}
  - { name: audit, events: "*", to: a, continue: true }
  - { name: big, events: clients.update, when: { ">": [{ var: data.credit }, 1000] }, to: b }
  - { name: any-update, events: "clients.*", to: a }
  - { name: never, events: clients.update, to: b }
`);

  it('stops at the first match that does not continue', () => {
    const plan = p.plan(event('clients.update', { credit: 5000 }));
    expect(plan.matched).toEqual(['audit', 'big']);
    expect(plan.skipped).toEqual([
      { rule: 'any-update', reason: 'rule "big" matched first and does not continue' },
      { rule: 'never', reason: 'rule "big" matched first and does not continue' },
    ]);
    expect(plan.deliveries.map((d) => `${d.rule}->${d.destination}`)).toEqual(['audit->a', 'big->b']);
  });

  it('explains a false condition and goes on to the next rule', () => {
    const plan = p.plan(event('clients.update', { credit: 10 }));
    expect(plan.matched).toEqual(['audit', 'any-update']);
    expect(plan.skipped[0]).toEqual({ rule: 'big', reason: 'condition is false' });
  });

  it('routes unknown event ids by patterns, never failing', () => {
    expect(p.plan(event('clients.teleport')).matched).toEqual(['audit', 'any-update']);
    expect(p.plan(event('billing.something_new')).matched).toEqual(['audit']);
  });
});

describe('events', () => {
  it('routes the pre-3.23 spelling clients.custom_fields_update as clients.custom_fields.update', () => {
    const p = planner(`${HEAD}  - { name: cf, events: clients.custom_fields.update, to: a }\n`);
    expect(p.plan(event('clients.custom_fields_update')).matched).toEqual(['cf']);
  });

  it('accepts object ids as numbers and strings', () => {
    const p = planner(`${HEAD}  - { name: s, events: email_rates_manager.*, when: { "==": [{ var: event.object_id }, "77798"] }, to: a }\n`);
    expect(p.plan(event('email_rates_manager.import', {}, '77798')).matched).toEqual(['s']);
    expect(p.plan(event('email_rates_manager.import', {}, 77798)).matched).toEqual(['s']);
  });

  it('evaluates iterating JSON-logic operators over payload lists', () => {
    const p = planner(`${HEAD}  - { name: odd, events: clients.update, when: { reduce: [{ var: data.list }, { "+": [{ var: current }, { var: accumulator }] }, 0] }, to: a }\n`);
    expect(p.plan(event('clients.update', { list: [1, 2] })).matched).toEqual(['odd']);
    expect(p.plan(event('clients.update', { list: [] })).skipped).toEqual([{ rule: 'odd', reason: 'condition is false' }]);
  });
});

describe('a template that fails at run time', () => {
  it('produces a plain fallback message that names the event and the error', () => {
    const p = planner(`${HEAD}  - name: broken
    events: clients.update
    to: a
    template:
      webhook:
        body: "{{> missing_partial}}"
`);
    const [d] = p.plan(event('clients.update')).deliveries;
    expect(d!.renderError).toContain('The partial missing_partial could not be found');
    expect(d!.message).toEqual({
      body: {
        fallback: true,
        text:
          'VCS event clients.update for object 12 at 2022-01-24T15:44:47+00:00.\n' +
          'Switchboard could not render rule "broken" for destination "a": The partial missing_partial could not be found',
      },
    });
  });
});
