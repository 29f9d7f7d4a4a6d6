import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/node/template-compiler.ts';
import { explainTemplateError } from '../../src/template/syntax-error.ts';

const tryCompile = (source: string): unknown => {
  try {
    compileTemplate(source);
    return undefined;
  } catch (e) {
    return e;
  }
};

/** `line:col: message`, as Handlebars' error for `source` is explained. */
function explained(source: string): string {
  const error = tryCompile(source);
  if (error === undefined) throw new Error(`${JSON.stringify(source)} compiles`);
  const e = explainTemplateError(error, source, tryCompile);
  return `${e.at ? `${e.at.line}:${e.at.col}` : '-'}: ${e.message((p) => `${p.line}:${p.col}`)}`;
}

describe('explainTemplateError', () => {
  it.each([
    // A mustache left open, at its {{, whatever token Handlebars stumbled on at the end.
    ['line1\nline2 {{data.id\n', '2:7: expected }} to close {{data.id, got the end of the template'],
    ['line1\nline2 {{data.id', '2:7: expected }} to close {{data.id, got the end of the template'],
    ['{{{json data', '1:1: expected }}} to close {{{json data, got the end of the template'],
    ['{{#if a}}\n{{data.id\n{{/if}}', '3:1: expected }} to close {{data.id, got {{/if}}'],
    ['x\r\n{{data.id} y', '2:10: expected }} to close {{data.id, got a single }'],
    ['{{{json data}}}}', '1:13: expected }}} to close {{{json data, got }}}}'],
    // Blocks: the innermost one left open, and a {{/…}} that closes another block.
    ['{{#each data.errors}}\n{{this}}\n', '1:1: {{#each data.errors}} is not closed: expected {{/each}} before the end of the template'],
    ['{{#if a}}\n  {{#each b}}x{{/each}}', '1:1: {{#if a}} is not closed: expected {{/if}} before the end of the template'],
    ['{{#if data.id}}x{{/each}}', '1:17: {{/each}} closes {{#if data.id}}, opened at 1:1; expected {{/if}}'],
    ['a\n  {{#if data.id}}\n{{#each b}}{{/each}}\n  {{~/each~}}', '4:3: {{~/each~}} closes {{#if data.id}}, opened at 2:3; expected {{/if}}'],
    ['{{#> layout}}x{{/other}}', '1:15: {{/other}} closes {{#> layout}}, opened at 1:1; expected {{/layout}}'],
    ['a {{/if}} b', '1:3: {{/if}} closes no block: there is no {{#if}} open before it'],
    ['{{#if a}}{{else}}{{else}}{{/if}}', '1:18: unexpected {{else}}: an {{else}} goes inside a {{#…}} block, after any {{else if …}}, once'],
    // Arguments.
    ['{{join data.rate_tables key="name" "; "}}', '1:36: "; " in {{join data.rate_tables key="name" "; "}} comes after a key=value argument: arguments without a name go first'],
    ['{{data.id foo=}}', '1:15: unexpected }} in {{data.id foo=}}: expected a name or a value'],
    ['{{foo (bar 1}}', '1:13: unexpected }} in {{foo (bar 1}}: expected ), a name or a value'],
    ['{{#each a as |x}}{{/each}}', '1:16: unexpected }} in {{#each a as |x}}: expected a name or |'],
    ['{{!-- a note', '1:1: a {{!-- comment is not closed: expected --}} before the end of the template'],
  ])('%j', (source, expected) => {
    expect(explained(source)).toBe(expected);
  });

  it('an error it does not recognise is Handlebars\' own words, without the excerpt', () => {
    const e = explainTemplateError(new Error('this template was not precompiled by the build'), '{{x}}', tryCompile);
    expect([e.at, e.message(() => '')]).toEqual([undefined, 'this template was not precompiled by the build']);
  });
});
