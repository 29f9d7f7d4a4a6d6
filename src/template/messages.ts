import type { Config, Destination, Rule } from '../config/config.ts';
import { eventSummary } from './defaults.ts';
import { render, Template, type TemplateCompiler } from './engine.ts';

export type Rendered = { ok: true; message: unknown } | { ok: false; error: string };

/** Rendered template parts; `own` tells a rule's own part from an event's default. */
export type RenderedParts = { ok: true; parts: Record<string, string> } | { ok: false; error: string; part: string; own: boolean };

/**
 * Renders a rule's message for a destination: the rule's template parts where it has them, the
 * event's default message for the others.
 */
export class MessageRenderer {
  private readonly defaults = new Map<string, Map<string, Template>>();

  constructor(
    private readonly config: Config,
    private readonly compile: TemplateCompiler,
  ) {}

  /** The default template parts of a channel type for an event id (unknown ids share one set). */
  defaultParts(type: string, eventId: string, kind: Destination['kind']): Map<string, Template> {
    const key = `${type} ${this.config.knownEvents.has(eventId) ? eventId : '*'}`;
    let parts = this.defaults.get(key);
    if (!parts) {
      const { title, details } = eventSummary(eventId);
      parts = new Map(
        Object.entries(kind.defaults(title, details)).map(([part, src]) => [part, new Template(`default ${key}.${part}`, this.compile(src))]),
      );
      this.defaults.set(key, parts);
    }
    return parts;
  }

  render(rule: Rule, destination: Destination, eventId: string, context: Record<string, unknown>): Rendered {
    const parts = this.renderParts(rule, destination, eventId, context);
    if (!parts.ok) return { ok: false, error: parts.error };
    try {
      return { ok: true, message: destination.kind.build(parts.parts, destination.settings) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  /** Each template part rendered, before the channel builds its message; on failure, the part that failed. */
  renderParts(rule: Rule, destination: Destination, eventId: string, context: Record<string, unknown>): RenderedParts {
    const { kind, type } = destination;
    const own = rule.templates.get(type);
    const parts = mergeParts(this.defaultParts(type, eventId, kind), own, kind.partGroups ?? []);
    const rendered: Record<string, string> = {};
    const ctx = { ...context, rule: { name: rule.name }, destination: { name: destination.name, type } };
    for (const [part, template] of parts) {
      try {
        rendered[part] = render(template, ctx, {
          escape: kind.parts[part]!.escape,
          partials: this.config.partials,
          timeZone: this.config.timeZone,
        });
      } catch (e) {
        return { ok: false, error: (e as Error).message, part, own: own?.get(part) === template };
      }
    }
    return { ok: true, parts: rendered };
  }
}

/**
 * A rule's parts replace the defaults one by one; parts in a group (an e-mail's text and HTML) are
 * replaced together, so a custom text part never travels with a default HTML part.
 */
function mergeParts(
  defaults: ReadonlyMap<string, Template>,
  own: ReadonlyMap<string, Template> | undefined,
  groups: readonly (readonly string[])[],
): ReadonlyMap<string, Template> {
  if (!own || own.size === 0) return defaults;
  const merged = new Map(defaults);
  for (const group of groups) if (group.some((p) => own.has(p))) for (const p of group) merged.delete(p);
  for (const [part, t] of own) merged.set(part, t);
  return merged;
}
