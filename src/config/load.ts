import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ChannelKind } from '../channels/channel.ts';
import { canonicalEventId, EVENT_ALIASES, EVENT_IDS } from '../events/catalog.ts';
import { checkLogic, OPERATOR_NAMES, type Logic } from '../rules/condition.ts';
import { compilePattern, isPattern } from '../rules/pattern.ts';
import { Template, type TemplateCompiler } from '../template/engine.ts';
import type { Config, Destination, Rule, TemplateSet } from './config.ts';
import { didYouMean } from './did-you-mean.ts';
import { substituteEnv } from './env.ts';
import { Locator, type ConfigError, type Path } from './errors.ts';
import { TARGETS, type EnrichTarget } from '../enrich/targets.ts';
import { destinationHead, ruleSchema, rulesFileSalvage, rulesFileSchema, templateSource, type RuleSource, type RulesFile } from './schema.ts';
import { check } from './zod-issues.ts';

/** What loading needs from its runtime. */
export interface LoadOptions {
  /** The file's name as errors should show it. */
  file: string;
  env: Readonly<Record<string, string | undefined>>;
  kinds: ReadonlyMap<string, ChannelKind<unknown, unknown>>;
  compile: TemplateCompiler;
  /** Reads a template file named relative to the rules file; undefined when it does not exist. */
  readFile(path: string): string | undefined;
}

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** Parses and validates a rules file, reporting every error at once. Pure: no I/O but `readFile`. */
export function loadConfig(source: string, options: LoadOptions): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = new Locator(options.file, doc, lines);
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => at.at(e.pos[0], `YAML syntax: ${firstLine(e.message)}`)) };
  }
  const raw: unknown = doc.toJS() ?? {};
  const errors: ConfigError[] = [];
  const file = check(rulesFileSchema, raw, [], at, errors) ?? rulesFileSalvage.parse(raw);
  const result = new Loader(file, options, at, errors).load();
  // The checks run section by section; people read and fix a file top to bottom.
  if (!result.ok) result.errors.sort((a, b) => a.line - b.line || a.col - b.col);
  return result;
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();

class Loader {
  private readonly unsetEnv = new Set<string>();
  /** Each destination's type, kept even when its settings are wrong, for checking rules' templates. */
  private readonly declaredTypes = new Map<string, string>();
  private readonly known: Set<string>;

  constructor(
    private readonly file: RulesFile,
    private readonly options: LoadOptions,
    private readonly at: Locator,
    private readonly errors: ConfigError[],
  ) {
    this.known = new Set([...EVENT_IDS, ...Object.keys(EVENT_ALIASES), ...file.extra_events]);
  }

  load(): LoadResult {
    const partials = new Map<string, Template>();
    for (const [name, raw] of Object.entries(this.file.partials)) {
      const src = this.check(templateSource, raw, ['partials', name]);
      const t = src === undefined ? undefined : this.template(`partial ${name}`, src, ['partials', name]);
      if (t) partials.set(name, t);
    }
    const destinations = this.destinations();
    const rules = this.file.rules.map((raw, i) => {
      const source = this.check(ruleSchema, raw, ['rules', i]);
      return source && this.rule(source, i, destinations);
    });
    this.checkTimeZone();
    if (this.errors.length > 0) return { ok: false, errors: this.errors };
    return {
      ok: true,
      config: {
        file: this.options.file,
        timeZone: this.file.settings.timezone,
        knownEvents: new Set([...EVENT_IDS, ...this.file.extra_events]),
        destinations,
        rules: rules as Rule[],
        partials,
        unsetEnv: [...this.unsetEnv],
      },
    };
  }

  private check<T>(schema: z.ZodType<T>, value: unknown, path: Path): T | undefined {
    return check(schema, value, path, this.at, this.errors);
  }

  private fail(path: Path, message: string, atKey = false): void {
    this.errors.push(this.at.error(path, message, atKey));
  }

  private destinations(): Map<string, Destination> {
    const out = new Map<string, Destination>();
    for (const [name, raw] of Object.entries(this.file.destinations)) {
      const path = ['destinations', name];
      const head = this.check(destinationHead, raw, path);
      if (!head) continue;
      const kind = this.options.kinds.get(head.type);
      if (!kind) {
        const types = [...this.options.kinds.keys()];
        this.fail([...path, 'type'], `unknown destination type "${head.type}"${didYouMean(head.type, types)}; expected one of: ${types.join(', ')}`);
        continue;
      }
      this.declaredTypes.set(name, head.type);
      const { type: _type, enrich, ...rest } = head;
      const settings = this.check(kind.settings, substituteEnv(rest, this.options.env, this.unsetEnv), path);
      const targets = enrich === undefined ? [] : [enrich].flat();
      if (settings !== undefined) out.set(name, { name, type: head.type, kind, settings, ...(targets.length ? { enrich: targets } : {}) });
    }
    return out;
  }

  private rule(source: RuleSource, index: number, destinations: ReadonlyMap<string, Destination>): Rule {
    const path = ['rules', index];
    const events = [source.events].flat();
    events.forEach((e, i) => this.checkEvent(e, Array.isArray(source.events) ? [...path, 'events', i] : [...path, 'events']));
    const to = [source.to].flat();
    to.forEach((d, i) => {
      if (!this.file.destinations[d]) {
        this.fail(Array.isArray(source.to) ? [...path, 'to', i] : [...path, 'to'], `undefined destination "${d}"${didYouMean(d, Object.keys(this.file.destinations))}`);
      }
    });
    if (source.when !== undefined && typeof source.when !== 'boolean') {
      for (const p of checkLogic(source.when)) {
        const hint = p.operator ? `${didYouMean(p.operator, OPERATOR_NAMES)}; expected one of: ${OPERATOR_NAMES.join(', ')}` : '';
        this.fail([...path, 'when', ...p.path], p.message + hint, p.operator !== undefined);
      }
    }
    const types = new Set(to.map((d) => this.declaredTypes.get(d)).filter((t): t is string => t !== undefined));
    const templates = this.ruleTemplates(source, path, types);
    const enrich = this.enrich(source, path, events, to, destinations);
    return {
      name: source.name,
      index,
      // Events are routed by their current id: a rule naming the old spelling must take them too.
      events: events.map(canonicalEventId),
      ...(source.when !== undefined ? { when: source.when as Logic } : {}),
      to,
      templates,
      continue: source.continue,
      ...(enrich.length > 0 ? { enrich } : {}),
    };
  }

  /** The rule's own enrichment and its destinations'; each must be something its events can name. */
  private enrich(source: RuleSource, path: Path, events: string[], to: string[], destinations: ReadonlyMap<string, Destination>): EnrichTarget[] {
    const own = source.enrich === undefined ? [] : [source.enrich].flat();
    const ids = [...this.known].filter((id) => events.some((e) => compilePattern(e)(id)));
    own.forEach((target, i) => {
      const spec = TARGETS[target];
      if (ids.length > 0 && !ids.some((id) => spec.appliesTo(id))) {
        const at = Array.isArray(source.enrich) ? [...path, 'enrich', i] : [...path, 'enrich'];
        this.fail(at, `none of this rule's events names a ${spec.label}; ${target} enrichment is for ${spec.carriedBy}`);
      }
    });
    const fromDestinations = to.flatMap((d) => destinations.get(d)?.enrich ?? []);
    return [...new Set([...own, ...fromDestinations])];
  }

  private checkEvent(id: string, path: Path): void {
    if (isPattern(id)) {
      const matches = compilePattern(id);
      if (![...this.known].some(matches)) {
        this.fail(path, `pattern "${id}" matches no known event${didYouMean(id, this.prefixes().map((p) => `${p}*`))}`);
      }
    } else if (!this.known.has(id)) {
      this.fail(path, `unknown event id "${id}"${didYouMean(id, this.known)}; newer VCS events can be listed under extra_events`);
    }
  }

  private prefixes(): string[] {
    return [...new Set([...this.known].map((id) => id.slice(0, id.lastIndexOf('.') + 1)))];
  }

  private ruleTemplates(source: RuleSource, path: Path, types: Set<string>): Map<string, TemplateSet> {
    const out = new Map<string, TemplateSet>();
    for (const [type, parts] of Object.entries(source.template ?? {})) {
      const tPath = [...path, 'template', type];
      const kind = this.options.kinds.get(type);
      if (!kind) {
        this.fail(tPath, `unknown channel type "${type}"${didYouMean(type, this.options.kinds.keys())}`, true);
        continue;
      }
      if (types.size > 0 && !types.has(type)) {
        this.fail(tPath, `template for "${type}", but the rule sends to no ${type} destination`, true);
      }
      const set = new Map<string, Template>();
      for (const [part, src] of Object.entries(parts)) {
        if (!kind.parts[part]) {
          const names = Object.keys(kind.parts);
          this.fail([...tPath, part], `unknown ${type} template part "${part}"${didYouMean(part, names)}; expected one of: ${names.join(', ')}`, true);
          continue;
        }
        const t = this.template(`${source.name}/${type}.${part}`, src, [...tPath, part]);
        if (t) set.set(part, t);
      }
      out.set(type, set);
    }
    return out;
  }

  private template(name: string, src: string | { file: string }, path: Path): Template | undefined {
    let source: string;
    if (typeof src === 'string') source = src;
    else {
      const text = this.options.readFile(src.file);
      if (text === undefined) {
        this.fail([...path, 'file'], `template file "${src.file}" not found`);
        return undefined;
      }
      source = text;
    }
    try {
      return new Template(name, this.options.compile(source));
    } catch (e) {
      const where = typeof src === 'string' ? '' : ` (${src.file})`;
      this.fail(path, `template does not compile${where}: ${compactHandlebarsError(e)}`);
      return undefined;
    }
  }

  private checkTimeZone(): void {
    try {
      new Intl.DateTimeFormat('en', { timeZone: this.file.settings.timezone });
    } catch {
      this.fail(['settings', 'timezone'], `unknown time zone "${this.file.settings.timezone}"; expected an IANA name such as "Europe/Kyiv" or "UTC"`);
    }
  }
}

/** Handlebars parse errors span four lines; the first and last say what is wrong and where. */
export function compactHandlebarsError(e: unknown): string {
  const lines = String((e as Error).message ?? e).split('\n').filter((l) => l.trim() !== '');
  // The commonest mistake, told in grammar tokens ("Expecting ..., 'OPEN_ENDBLOCK', got 'EOF'")
  // and at the end of the template rather than where the block opened.
  if (/'OPEN_ENDBLOCK'.*got 'EOF'/.test(lines[lines.length - 1] ?? '')) {
    return 'a {{#…}} block is not closed: expected its {{/…}} before the end of the template';
  }
  return lines.length > 2 ? `${lines[0]} ${lines[lines.length - 1]}` : lines.join(' ');
}
