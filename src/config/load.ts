import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ChannelKind } from '../channels/channel.ts';
import { canonicalEventId, EVENT_ALIASES, EVENT_IDS } from '../events/catalog.ts';
import { checkLogic, OPERATOR_NAMES, type Logic } from '../rules/condition.ts';
import { compilePattern, isPattern } from '../rules/pattern.ts';
import { Template, type TemplateCompiler } from '../template/engine.ts';
import { explainTemplateError, type TemplatePosition } from '../template/syntax-error.ts';
import type { Config, Destination, Grouping, Incident, Rule, TemplateSet, Throttle } from './config.ts';
import { didYouMean } from './did-you-mean.ts';
import { substituteEnv } from './env.ts';
import { formatPath, Locator, type ConfigError, type Path } from './errors.ts';
import { TARGETS, type EnrichTarget } from '../enrich/targets.ts';
import { parseDuration } from '../hold/duration.ts';
import { parseWindow, unknownZone, type SendWindow, type WindowSource } from '../hold/window.ts';
import { destinationHead, incidentSchema, ruleSchema, rulesFileSalvage, rulesFileSchema, templateSource, type RuleSource, type RulesFile } from './schema.ts';
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
  /** A template file's name as errors should show it; by default as the rules file names it. */
  showFile?(path: string): string;
}

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** Parses and validates a rules file, reporting every error at once. Pure: no I/O but `readFile`. */
export function loadConfig(source: string, options: LoadOptions): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = new Locator(options.file, doc, lines, source);
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => at.at(e.pos[0], `YAML syntax: ${firstLine(e.message)}`)) };
  }
  const raw: unknown = doc.toJS() ?? {};
  const errors: ConfigError[] = [];
  const file = check(rulesFileSchema, raw, [], at, errors) ?? rulesFileSalvage.parse(raw);
  const result = new Loader(file, options, at, errors).load();
  // The checks run section by section; people read and fix a file top to bottom, then the
  // template files it names (as `check` lists them).
  const other = (e: ConfigError) => Number(e.file !== options.file);
  if (!result.ok) result.errors.sort((a, b) => other(a) - other(b) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return result;
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();

class Loader {
  private readonly unsetEnv = new Set<string>();
  /** Each destination's type, kept even when its settings are wrong, for checking rules' templates. */
  private readonly declaredTypes = new Map<string, string>();
  private readonly known: Set<string>;
  private readonly windows = new Map<string, SendWindow>();

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
    this.checkTimeZone();
    this.namedWindows();
    const destinations = this.destinations();
    const incidents = this.incidents();
    const rules = this.file.rules.map((raw, i) => {
      const source = this.check(ruleSchema, raw, ['rules', i]);
      if (source) return this.rule(source, i, destinations, incidents);
      // Its shape's mistakes are reported; the rest of it is still checked, so one run says everything.
      const salvaged = salvageRule(raw, i);
      if (salvaged) this.rule(salvaged, i, destinations, incidents);
      return undefined;
    });
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
        incidents,
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
      const { type: _type, enrich, window: windowSource, ...rest } = head;
      const settings = this.check(kind.settings, substituteEnv(rest, this.options.env, this.unsetEnv), path);
      const targets = enrich === undefined ? [] : [enrich].flat();
      const window = this.window(windowSource, [...path, 'window'], `of destination ${name}`, false);
      if (window === 'always') this.fail([...path, 'window'], 'a destination without a window sends at any time: leave `window` out; `always` is for a rule to ignore its destinations\' windows');
      if (settings !== undefined) {
        out.set(name, { name, type: head.type, kind, settings, ...(targets.length ? { enrich: targets } : {}), ...(window && window !== 'always' ? { window } : {}) });
      }
    }
    return out;
  }

  private rule(source: RuleSource, index: number, destinations: ReadonlyMap<string, Destination>, incidents: ReadonlyMap<string, Incident>): Rule {
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
    const templates = this.templateSets(source.name, source.template, [...path, 'template'], types);
    const enrich = this.enrich(source, path, events, to, destinations);
    const group = this.grouping(source, path, types);
    const throttle = this.throttle(source, path);
    const window = this.window(source.window, [...path, 'window'], `of rule ${source.name}`, true);
    const incident = this.ruleIncident(source, path, events, incidents);
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
      ...(group ? { group } : {}),
      ...(throttle ? { throttle } : {}),
      ...(window ? { window } : {}),
      ...(incident ? { incident } : {}),
    };
  }

  /** `group_by`, `group_wait`, `group_interval` and `digest`; the timings and digest only with `group_by`. */
  private grouping(source: RuleSource, path: Path, types: Set<string>): Grouping | undefined {
    if (source.group_by === undefined) {
      for (const key of ['group_wait', 'group_interval', 'digest'] as const) {
        if (source[key] !== undefined) this.fail([...path, key], `${key} needs group_by: say what the rule's messages are grouped by (group_by: [] for one group)`, true);
      }
      return undefined;
    }
    const by = [source.group_by].flat();
    by.forEach((p, i) => this.checkKeyPath(p, Array.isArray(source.group_by) ? [...path, 'group_by', i] : [...path, 'group_by']));
    const waitMs = this.duration(source.group_wait ?? 0, [...path, 'group_wait']) ?? 0;
    const intervalMs = this.duration(source.group_interval ?? '5m', [...path, 'group_interval']) ?? 0;
    if (source.throttle !== undefined) {
      this.fail([...path, 'throttle'], 'a rule that groups already sends at most one message per group and group_interval: use group_by or throttle, not both', true);
    }
    const digest = this.templateSets(source.name, source.digest, [...path, 'digest'], types);
    return { by, waitMs, intervalMs, digest };
  }

  private throttle(source: RuleSource, path: Path): Throttle | undefined {
    if (!source.throttle) return undefined;
    const key = [source.throttle.key].flat();
    key.forEach((p, i) => this.checkKeyPath(p, Array.isArray(source.throttle!.key) ? [...path, 'throttle', 'key', i] : [...path, 'throttle', 'key']));
    const perMs = this.duration(source.throttle.per, [...path, 'throttle', 'per']);
    // A period that is not a duration was reported as such; only a real 0 is too short.
    if (perMs === 0) this.fail([...path, 'throttle', 'per'], 'a throttle\'s period must be longer than 0');
    return { key, max: source.throttle.max, perMs: perMs ?? 0 };
  }

  /** The rule's incident: one defined under `incidents:`, which some of the rule's events open or close. */
  private ruleIncident(source: RuleSource, path: Path, events: string[], incidents: ReadonlyMap<string, Incident>): string | undefined {
    const name = source.incident;
    if (name === undefined) return undefined;
    const incident = incidents.get(name);
    if (!incident) {
      if (!Object.hasOwn(this.file.incidents, name)) {
        this.fail([...path, 'incident'], `undefined incident "${name}"${didYouMean(name, Object.keys(this.file.incidents))}; define it under incidents:`);
      }
      return undefined;
    }
    const ids = [...this.known].filter((id) => events.some((e) => compilePattern(e)(id)));
    const takes = (patterns: readonly string[]) => ids.some((id) => patterns.some((p) => compilePattern(p)(id)));
    if (ids.length > 0 && !takes(incident.opens) && !takes(incident.closes)) {
      this.fail([...path, 'incident'], `none of this rule's events opens or closes incident "${name}" (opens: ${incident.opens.join(', ')}; closes: ${incident.closes.join(', ')})`);
    }
    return name;
  }

  private incidents(): Map<string, Incident> {
    const out = new Map<string, Incident>();
    for (const [name, raw] of Object.entries(this.file.incidents)) {
      const path = ['incidents', name];
      const source = this.check(incidentSchema, raw, path);
      if (!source) continue;
      const list = (v: string | string[], key: string) => {
        const ids = [v].flat();
        ids.forEach((e, i) => this.checkEvent(e, Array.isArray(v) ? [...path, key, i] : [...path, key]));
        return ids.map(canonicalEventId);
      };
      const [opens, closes] = [list(source.opens, 'opens'), list(source.closes, 'closes')];
      const key = [source.key].flat();
      key.forEach((p, i) => this.checkKeyPath(p, Array.isArray(source.key) ? [...path, 'key', i] : [...path, 'key']));
      const both = opens.filter((e) => closes.includes(e));
      if (both.length > 0) this.fail([...path, 'closes'], `${both.join(', ')} cannot both open and close the incident`);
      out.set(name, { name, opens, closes, key, flapMs: this.duration(source.flap, [...path, 'flap']) ?? 0 });
    }
    return out;
  }

  /** `settings.windows`, by name. */
  private namedWindows(): void {
    for (const [name, source] of Object.entries(this.file.settings.windows)) {
      if (name === 'always') {
        this.fail(['settings', 'windows', name], '"always" means no window; give this window another name', true);
        continue;
      }
      const parsed = this.parseWindow(name, source, ['settings', 'windows', name]);
      if (parsed) this.windows.set(name, parsed);
    }
  }

  /**
   * A window reference: a name from settings.windows, a window written out, or `always`. A misspelt
   * name is matched against the defined names, and `always` too where it may be used (`mayBeAlways`).
   */
  private window(ref: string | WindowSource | undefined, path: Path, owner: string, mayBeAlways: boolean): SendWindow | 'always' | undefined {
    if (ref === undefined) return undefined;
    if (typeof ref !== 'string') return this.parseWindow(owner, ref, path);
    if (ref === 'always') return 'always';
    const named = this.windows.get(ref);
    if (!named && !Object.hasOwn(this.file.settings.windows, ref)) {
      const names = [...Object.keys(this.file.settings.windows), ...(mayBeAlways ? ['always'] : [])];
      const otherwise = mayBeAlways ? 'or write always' : 'or leave window out';
      this.fail(path, `undefined send window "${ref}"${didYouMean(ref, names)}; define it under settings.windows, ${otherwise}`);
    }
    return named;
  }

  private parseWindow(name: string, source: WindowSource, path: Path): SendWindow | undefined {
    const parsed = parseWindow(name, source, this.file.settings.timezone);
    if (parsed.ok) return parsed.window;
    for (const e of parsed.errors) this.fail([...path, ...e.at], e.message);
    return undefined;
  }

  /** Milliseconds; undefined, reported, when the value is not a duration. */
  private duration(value: string | number, path: Path): number | undefined {
    const ms = parseDuration(value);
    if (ms === undefined) this.fail(path, `expected a duration such as 30s, 5m, 1h or 1h30m, got ${JSON.stringify(value)}`);
    return ms;
  }

  /** A path into a message's context: event, data, client or rate_table, then keys. */
  private checkKeyPath(p: string, path: Path): void {
    const roots = ['event', 'data', 'client', 'rate_table'];
    if (!/^[A-Za-z_][\w]*(\.[\w-]+)*$/.test(p)) this.fail(path, `"${p}" is not a path; write one such as data.credentials.login or event.object_id`);
    else if (!roots.includes(p.split('.')[0]!)) this.fail(path, `"${p}" does not start with one of ${roots.join(', ')}${didYouMean(p.split('.')[0]!, roots)}`);
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

  /** A rule's `template:` or `digest:`: per channel type, its parts. */
  private templateSets(rule: string, sets: Record<string, Record<string, string | { file: string }>> | undefined, path: Path, types: Set<string>): Map<string, TemplateSet> {
    const out = new Map<string, TemplateSet>();
    const what = path[path.length - 1] === 'digest' ? 'digest' : 'template';
    for (const [type, parts] of Object.entries(sets ?? {})) {
      const tPath = [...path, type];
      const kind = this.options.kinds.get(type);
      if (!kind) {
        this.fail(tPath, `unknown channel type "${type}"${didYouMean(type, this.options.kinds.keys())}`, true);
        continue;
      }
      if (types.size > 0 && !types.has(type)) {
        this.fail(tPath, `${what} for "${type}", but the rule sends to no ${type} destination`, true);
      }
      const set = new Map<string, Template>();
      for (const [part, src] of Object.entries(parts)) {
        if (!kind.parts[part]) {
          const names = Object.keys(kind.parts);
          this.fail([...tPath, part], `unknown ${type} template part "${part}"${didYouMean(part, names)}; expected one of: ${names.join(', ')}`, true);
          continue;
        }
        const t = this.template(`${rule}/${what === 'digest' ? 'digest.' : ''}${type}.${part}`, src, [...tPath, part]);
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
      this.errors.push(this.compileError(e, source, src, path));
      return undefined;
    }
  }

  /**
   * A template that does not compile, at the mistake: the line and column in its file, or in the
   * rules file inside the string of an inline template (at the string when that cannot be told).
   */
  private compileError(e: unknown, source: string, src: string | { file: string }, path: Path): ConfigError {
    const tryCompile = (s: string) => {
      try {
        this.options.compile(s);
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const explained = explainTemplateError(e, source, tryCompile);
    const say = (show: (p: TemplatePosition) => string) => `template does not compile: ${explained.message(show)}`;
    if (typeof src !== 'string') {
      const file = this.options.showFile?.(src.file) ?? src.file;
      const at = explained.at ?? { line: 1, col: 1 };
      return { file, ...at, path: formatPath(path), message: say((p) => `${p.line}:${p.col}`) };
    }
    const inFile = (p: TemplatePosition) => this.at.positionInString(path, p);
    const show = (p: TemplatePosition) => {
      const q = inFile(p);
      return q ? `${q.line}:${q.col}` : `line ${p.line}, column ${p.col} of the template`;
    };
    const at = explained.at && inFile(explained.at);
    if (at) return { file: this.options.file, ...at, path: formatPath(path), message: say(show) };
    // The string's own position; the message says where in the template, when it is known.
    const where = explained.at ? ` (line ${explained.at.line}, column ${explained.at.col} of the template)` : '';
    return this.at.error(path, `${say(show)}${where}`);
  }

  private checkTimeZone(): void {
    const error = unknownZone(this.file.settings.timezone);
    if (error) this.fail(['settings', 'timezone'], error);
  }
}

/**
 * The fields of a rule that fail its schema left out (their mistakes are reported already), the
 * required ones empty: what is right in the rule can be checked on. Undefined when it is no mapping.
 */
function salvageRule(raw: unknown, index: number): RuleSource | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const fields: Record<string, unknown> = { name: `rules[${index}]`, events: [], to: [] };
  for (const [key, schema] of Object.entries(ruleSchema.shape)) {
    const parsed = (schema as z.ZodType).safeParse((raw as Record<string, unknown>)[key]);
    if (parsed.success && parsed.data !== undefined) fields[key] = parsed.data;
  }
  return fields as RuleSource;
}
