import { compileTemplate } from '../../src/node/template-compiler.ts';
import { render, Template } from '../../src/template/engine.ts';
import { escapeNone, type Escaper } from '../../src/template/escape.ts';

export const template = (source: string, name = 'test') => new Template(name, compileTemplate(source));

export interface Options {
  escape?: Escaper;
  timeZone?: string;
  partials?: Record<string, string>;
}

/** Compiles with the Node compiler and renders through the shared runtime, as the router does. */
export function run(source: string, context: unknown = {}, options: Options = {}): string {
  const partials = new Map(Object.entries(options.partials ?? {}).map(([name, src]) => [name, template(src, name)]));
  return render(template(source), context, {
    escape: options.escape ?? escapeNone,
    partials,
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  });
}
