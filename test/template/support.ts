import { channelKinds } from '../../src/channels/index.ts';
import type { Config, Destination, Rule } from '../../src/config/config.ts';
import { EVENT_IDS } from '../../src/events/catalog.ts';
import { compileTemplate } from '../../src/node/template-compiler.ts';
import { render, Template } from '../../src/template/engine.ts';
import { escapeNone, type Escaper } from '../../src/template/escape.ts';
import { MessageRenderer } from '../../src/template/messages.ts';

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

export type ChannelType = 'slack' | 'email' | 'webhook';

/**
 * Renders a message the way the router does: the real channel kinds, the rule's template parts
 * (if any) over the event's defaults, and the channel's build().
 */
export function renderMessage(
  type: ChannelType,
  eventId: string,
  context: Record<string, unknown>,
  parts: Record<string, string> = {},
  timeZone = 'UTC',
) {
  const kind = channelKinds().get(type)!;
  const destination: Destination = { name: `${type}-test`, type, kind, settings: {} };
  const config = {
    file: 'rules.yaml',
    timeZone,
    knownEvents: new Set(EVENT_IDS),
    destinations: new Map([[destination.name, destination]]),
    rules: [],
    partials: new Map(),
    incidents: new Map(),
    unsetEnv: [],
  } satisfies Config;
  const templates = new Map(Object.entries(parts).map(([part, src]) => [part, template(src, part)]));
  const rule: Rule = { name: 'test rule', index: 0, events: [eventId], to: [destination.name], templates: new Map([[type, templates]]), continue: false };
  return new MessageRenderer(config, compileTemplate).render(rule, destination, eventId, context);
}

/** renderMessage, failing the test on a render error. */
export function message<M>(...args: Parameters<typeof renderMessage>): M {
  const out = renderMessage(...args);
  if (!out.ok) throw new Error(`render failed: ${out.error}`);
  return out.message as M;
}

/** No lone surrogate: what String#isWellFormed checks (ES2024, newer than this project's lib). */
export const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
