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
 * What Handlebars gives each program function of a template: the fields its top-level setup
 * writes, which it hands a partial as they are.
 */
interface Container {
  helpers: unknown;
  partials: unknown;
  decorators: unknown;
  hooks: unknown;
  protoAccessControl: unknown;
}

/**
 * Handlebars reads `escapeExpression` from the container it builds per template, always the HTML
 * escaper. Each channel needs its own (Slack escapes only `&<>`, JSON bodies need JSON escaping), so
 * every program function of the spec gets a view of the container with the channel's escaper.
 * `seen` is told the container, for the setup that a render leaves in it (see render()).
 */
function withEscaper(spec: TemplateSpec, escape: Escaper, seen: (container: Container) => void): TemplateSpec {
  const views = new WeakMap<object, object>();
  const view = (container: Record<string, unknown>) => {
    let v = views.get(container);
    if (!v) {
      seen(container as unknown as Container);
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

/** A template compiled for one escaper, with the setup of its renders (a copy) by set of partials. */
interface Compiled {
  readonly fn: Delegate;
  /** The container Handlebars made for it, once it has rendered. */
  readonly container: () => Container | undefined;
  readonly setups: WeakMap<object, Container>;
}

/** One template, renderable with any channel's escaper. */
export class Template {
  private readonly byEscaper = new Map<Escaper, Compiled>();
  constructor(
    readonly name: string,
    private readonly spec: TemplateSpec,
  ) {}

  /** The template function for an escaper; partials are rendered with the same escaper. */
  delegate(escape: Escaper): Delegate {
    return this.compiled(escape).fn;
  }

  /** For render(). */
  compiled(escape: Escaper): Compiled {
    let c = this.byEscaper.get(escape);
    if (!c) {
      let container: Container | undefined;
      const fn = hb.template(withEscaper(this.spec, escape, (seen) => (container = seen)) as never);
      c = { fn, container: () => container, setups: new WeakMap() };
      this.byEscaper.set(escape, c);
    }
    return c;
  }
}

/** What a render needs besides the context. */
export interface RenderOptions {
  escape: Escaper;
  partials?: ReadonlyMap<string, Template>;
  /** IANA time zone used by date helpers when a template names none. */
  timeZone?: string;
}

const NO_PARTIALS = new Map<string, Template>();

/**
 * Renders a template. Throws the template's run-time error (missing partial, helper error).
 *
 * At the start of every top-level render Handlebars sets up anew what does not change between
 * renders: every helper wrapped in a new closure, hooks, and the rules for prototype properties,
 * about 9 KB a render (a fifth of what the server's main thread allocated under load). The first
 * render of a template with a set of partials sets it up; the later ones are given that setup
 * the way Handlebars gives it to a partial, and skip it.
 */
export function render(template: Template, context: unknown, options: RenderOptions): string {
  const compiled = template.compiled(options.escape);
  const partialSet = options.partials ?? NO_PARTIALS;
  // What Handlebars makes of `data` at the top (its `initData`), made here for both paths.
  const data = hb.createFrame({ timeZone: options.timeZone ?? 'UTC' }) as Record<string, unknown>;
  data.root = context;
  const setup = compiled.setups.get(partialSet);
  if (setup) return compiled.fn(context, { ...setup, partial: true, data } as Handlebars.RuntimeOptions);
  const partials: Record<string, Delegate> = {};
  for (const [name, t] of partialSet) partials[name] = t.delegate(options.escape);
  const out = compiled.fn(context, { partials, data, allowProtoPropertiesByDefault: false });
  const c = compiled.container();
  if (c) compiled.setups.set(partialSet, { helpers: c.helpers, partials: c.partials, decorators: c.decorators, hooks: c.hooks, protoAccessControl: c.protoAccessControl });
  return out;
}

/** Marks a helper's result as already safe for the channel (not escaped again). */
export function safe(text: string): Handlebars.SafeString {
  return new hb.SafeString(text);
}
