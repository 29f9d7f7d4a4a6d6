import type { Config, Destination, Rule } from '../config/config.ts';
import { canonicalEventId, EVENTS } from '../events/catalog.ts';
import { eventSummary } from './defaults.ts';
import { render, Template, type TemplateCompiler } from './engine.ts';
import { escapeNone } from './escape.ts';

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

  /** The default digest parts of a channel type: a message about several events. */
  digestParts(type: string, kind: Destination['kind']): Map<string, Template> {
    const key = `digest ${type}`;
    let parts = this.defaults.get(key);
    if (!parts) {
      parts = new Map(Object.entries(kind.digestDefaults()).map(([part, src]) => [part, new Template(`default ${key}.${part}`, this.compile(src))]));
      this.defaults.set(key, parts);
    }
    return parts;
  }

  /** An event on one line of plain text (its title and its detail lines), for digests. */
  summaryTemplate(eventId: string): Template {
    const id = this.config.knownEvents.has(eventId) ? eventId : '*';
    const key = `summary ${id}`;
    let parts = this.defaults.get(key);
    if (!parts) {
      const { title, details } = eventSummary(eventId);
      const src = `${title}${details.map((d) => `{{#if ${d.when}}} · ${d.label}: ${d.value}{{/if}}`).join('')} · {{date event.dt}}`;
      parts = new Map([['summary', new Template(`default ${key}`, this.compile(src))]]);
      this.defaults.set(key, parts);
    }
    return parts.get('summary')!;
  }

  render(rule: Rule, destination: Destination, eventId: string, context: Record<string, unknown>): Rendered {
    return this.build(destination, this.renderParts(rule, destination, eventId, context));
  }

  /**
   * One message about several events of a group: the rule's `digest:` parts where it has them, the
   * channel's default digest for the others. Each event is what its own message was rendered from,
   * with `title`, `summary` (one line of plain text) and `line` (the summary without the title when
   * all events share it) added.
   */
  renderDigest(rule: Rule, destination: Destination, items: ReadonlyArray<{ context: Record<string, unknown> }>, group: { label: string }): Rendered {
    return this.build(destination, this.renderDigestParts(rule, destination, items, group));
  }

  renderDigestParts(rule: Rule, destination: Destination, items: ReadonlyArray<{ context: Record<string, unknown> }>, group: { label: string }): RenderedParts {
    const { kind, type } = destination;
    const own = rule.group?.digest.get(type);
    const parts = mergeParts(this.digestParts(type, kind), own, kind.partGroups ?? []);
    let events: Record<string, unknown>[];
    try {
      events = items.map((i) => {
        const id = canonicalEventId(String((i.context.event as { events_id?: unknown } | undefined)?.events_id ?? ''));
        const summary = render(this.summaryTemplate(id), i.context, { escape: escapeNone, partials: this.config.partials, timeZone: this.config.timeZone });
        return { ...i.context, title: EVENTS[id]?.title ?? `VCS event ${id}`, summary: summary.replace(/\s*\n\s*/g, ' ') };
      });
    } catch (e) {
      return { ok: false, error: (e as Error).message, part: 'summary', own: false };
    }
    const titles = new Set(events.map((e) => e.title));
    // `line`: the summary, less the title when every event has the same one (the header says it).
    for (const e of events) e.line = titles.size === 1 ? String(e.summary).slice(String(e.title).length).replace(/^ · /, '') : e.summary;
    const dts = events.map((e) => (e.event as { dt?: unknown } | undefined)?.dt);
    const context = {
      events,
      count: events.length,
      title: titles.size === 1 ? [...titles][0] : 'VCS events',
      group,
      first_dt: dts[0],
      last_dt: dts[dts.length - 1],
    };
    return this.renderAll(parts, rule, destination, context, own);
  }

  private build(destination: Destination, parts: RenderedParts): Rendered {
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
    return this.renderAll(parts, rule, destination, context, own);
  }

  private renderAll(parts: ReadonlyMap<string, Template>, rule: Rule, destination: Destination, context: Record<string, unknown>, own: ReadonlyMap<string, Template> | undefined): RenderedParts {
    const { kind, type } = destination;
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
