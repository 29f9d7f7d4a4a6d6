import { describe, expect, it } from 'vitest';
import { render, type RenderOptions } from '../../src/template/engine.ts';
import { escapeHtml, escapeJson, escapeNone } from '../../src/template/escape.ts';
import { template } from './support.ts';

// Everything a render depends on: helpers with hashes, blocks with @-data, @root, a partial, the
// escaper, the time zone, and a property of the prototype (never read).
const SOURCE =
  '{{#each items}}{{#unless @first}}, {{/unless}}{{@index}}:{{upper name}}{{#if @last}} of {{@root.title}}{{/if}}{{/each}}' +
  ' | {{> footer}} | {{date at format="seconds"}} | {{money amount "EUR"}} | {{default missing "none"}} | {{title.constructor}} | {{{json tags}}} | {{title}}';

const contexts = [
  { title: '<A & B>', items: [{ name: 'x' }, { name: 'y' }], at: '2022-01-24T15:44:47+00:00', amount: 1.5, tags: ['a'], who: 'ops' },
  { title: '"quoted"', items: [{ name: 'z' }], at: '2022-06-01T00:00:00+00:00', amount: -3, tags: [], who: 'finance' },
  { title: 'plain', items: [], at: '2023-12-31T23:59:59+00:00', amount: 0, tags: ['b', 'c'], who: 'desk' },
];

describe('rendering a template again', () => {
  const partials = new Map([['footer', template('by {{who}} ({{lower title}})', 'footer')]]);

  it.each<[string, RenderOptions]>([
    ['HTML', { escape: escapeHtml, partials, timeZone: 'Europe/Kyiv' }],
    ['JSON', { escape: escapeJson, partials, timeZone: 'UTC' }],
    ['no', { escape: escapeNone, partials }],
  ])('gives what its first render gives (%s escaping)', (_name, options) => {
    const reused = template(SOURCE);
    for (const context of [...contexts, ...contexts]) {
      // A template rendered for the first time sets up everything; `reused` does that once.
      expect(render(reused, context, options)).toBe(render(template(SOURCE), context, options));
    }
    expect(render(reused, contexts[0]!, options)).toContain('0:X, 1:Y of ');
  });

  it('uses the partials and time zone of each render', () => {
    const t = template('{{> footer}} {{date at format="time"}}');
    const other = new Map([['footer', template('other {{who}}', 'footer')]]);
    const at = { who: 'ops', title: 'T', at: '2022-01-24T15:44:47+00:00' };
    expect(render(t, at, { escape: escapeNone, partials, timeZone: 'UTC' })).toBe('by ops (t) 15:44 UTC');
    expect(render(t, at, { escape: escapeNone, partials: other, timeZone: 'Europe/Kyiv' })).toBe('other ops 17:44 EET');
    expect(render(t, at, { escape: escapeNone, partials, timeZone: 'Europe/Kyiv' })).toBe('by ops (t) 17:44 EET');
  });

  it('still fails on a helper it does not know, every time', () => {
    const t = template('{{nosuch title}}');
    for (let i = 0; i < 2; i++) expect(() => render(t, { title: 'x' }, { escape: escapeNone })).toThrow(/Missing helper: "nosuch"/);
    const ok = template('{{title}}{{#if flag}}{{nosuch title}}{{/if}}');
    expect(render(ok, { title: 'x' }, { escape: escapeNone })).toBe('x');
    expect(() => render(ok, { title: 'x', flag: true }, { escape: escapeNone })).toThrow(/Missing helper: "nosuch"/);
  });
});
