import Handlebars from 'handlebars/runtime';
import type { Escaper } from './escape.ts';
import { registerHelpers } from './helpers.ts';

/**
 * A precompiled Handlebars template: the object form of `Handlebars.precompile(source)`.
 * Node produces it at load time, the Workers build at build time; both render through the same
 * runtime below, so output is identical on both.
 */
export type TemplateSpec = Record<string, unknown>;

/** Turns template source into its spec. Throws on a syntax error. */
export type TemplateCompiler = (source: string) => TemplateSpec;

type Delegate = Handlebars.TemplateDelegate;
type Fn = (container: Record<string, unknown>, ...rest: unknown[]) => unknown;

const hb = Handlebars.create();
registerHelpers(hb);

/**
 * Handlebars reads `escapeExpression` from the container it builds per template, always the HTML
 * escaper. Each channel needs its own (Slack escapes only `&<>`, JSON bodies need JSON escaping), so
 * every program function of the spec gets a view of the container with the channel's escaper.
 */
function withEscaper(spec: TemplateSpec, escape: Escaper): TemplateSpec {
  const views = new WeakMap<object, object>();
  const view = (container: Record<string, unknown>) => {
    let v = views.get(container);
    if (!v) {
      v = Object.create(container, { escapeExpression: { value: (x: unknown) => hbEscape(x, escape) } }) as object;
      views.set(container, v);
    }
    return v;
  };
  const out: TemplateSpec = {};
  for (const [key, value] of Object.entries(spec)) {
    out[key] =
      typeof value === 'function' ? (container: Record<string, unknown>, ...rest: unknown[]) => (value as Fn)(view(container) as Record<string, unknown>, ...rest) : value;
  }
  return out;
}

/** Handlebars' own escapeExpression contract, with another escaper for the strings. */
function hbEscape(value: unknown, escape: Escaper): string {
  if (value instanceof hb.SafeString) return value.toHTML();
  if (value == null) return '';
  if (!value && value !== 0) return String(value);
  return escape(String(value));
}

/** One template, renderable with any channel's escaper. */
export class Template {
  private readonly byEscaper = new Map<Escaper, Delegate>();
  constructor(
    readonly name: string,
    private readonly spec: TemplateSpec,
  ) {}

  /** The template function for an escaper; partials are rendered with the same escaper. */
  delegate(escape: Escaper): Delegate {
    let fn = this.byEscaper.get(escape);
    if (!fn) {
      fn = hb.template(withEscaper(this.spec, escape) as never);
      this.byEscaper.set(escape, fn);
    }
    return fn;
  }
}

/** What a render needs besides the context. */
export interface RenderOptions {
  escape: Escaper;
  partials?: ReadonlyMap<string, Template>;
  /** IANA time zone used by date helpers when a template names none. */
  timeZone?: string;
}

/** Renders a template. Throws the template's run-time error (missing partial, helper error). */
export function render(template: Template, context: unknown, options: RenderOptions): string {
  const partials: Record<string, Delegate> = {};
  for (const [name, t] of options.partials ?? []) partials[name] = t.delegate(options.escape);
  return template.delegate(options.escape)(context, {
    partials,
    data: { timeZone: options.timeZone ?? 'UTC' },
    allowProtoPropertiesByDefault: false,
  });
}

/** Marks a helper's result as already safe for the channel (not escaped again). */
export function safe(text: string): Handlebars.SafeString {
  return new hb.SafeString(text);
}
