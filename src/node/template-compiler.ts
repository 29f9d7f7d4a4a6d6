import Handlebars from 'handlebars';
import type { TemplateCompiler } from '../template/engine.ts';

/**
 * Compiles at load time on Node. Workers cannot generate code at run time, so there the same
 * `precompile` output is produced at build time instead; the runtime half is shared.
 */
export const compileTemplate: TemplateCompiler = (source) => new Function(`return ${precompileTemplate(source)}`)() as Record<string, unknown>;

/** A template as JavaScript source: what Node evaluates at start-up and the Workers build writes into the Worker. */
export const precompileTemplate = (source: string): string => String(Handlebars.precompile(source));
