import Handlebars from 'handlebars/runtime';
import { LineCounter, parseDocument } from 'yaml';
import type { Environment } from '../channels/channel.ts';
import type { Config, Rule } from '../config/config.ts';
import { envReferences } from '../config/env.ts';
import { formatPath, Locator, type ConfigError, type Path } from '../config/errors.ts';
import { Router } from '../rules/router.ts';
import type { TemplateCompiler } from '../template/engine.ts';
import { registerHelpers } from '../template/helpers.ts';
import { MessageRenderer } from '../template/messages.ts';
import { logicVars } from './logic-vars.ts';
import { resolvePath } from './paths.ts';
import { renderSamples } from './render.ts';
import { builtInSamples, placeholderSample, shapeOf, type Sample } from './samples.ts';
import { parseTemplate, TemplateChecker, type ParsedTemplate, type TemplateIssue } from './template-vars.ts';

/** A problem `switchboard check` reports: errors fail the check, warnings do not (unless --strict). */
export interface Finding extends ConfigError {
  readonly severity: 'error' | 'warning';
}

/** What checking a loaded rules file needs besides the configuration. */
export interface LintInput {
  readonly config: Config;
  /** The rules file's text, for positions. */
  readonly source: string;
  readonly compile: TemplateCompiler;
  /** Reads a template file named as in the rules file; undefined when it does not exist. */
  readonly readFile: (name: string) => string | undefined;
  /** A template file's name as messages show it. */
  readonly showFile: (name: string) => string;
  readonly env: Environment;
  /** Payloads of the operator's own, checked besides the built-in samples. */
  readonly samples?: readonly Sample[];
}

export interface LintReport {
  readonly findings: Finding[];
  /** How many sample messages were rendered. */
  readonly messages: number;
}

type TemplateRef = { text: string; file?: string } | undefined;

/**
 * What a valid rules file may still get wrong, found by trying it: variables no event has, helpers
 * and partials that do not exist, templates that fail or break a channel's limits on a sample of each
 * event their rule takes, rules that can never take an event, and unset environment variables.
 */
export function lint(input: LintInput): LintReport {
  return new Linter(input).run();
}

/**
 * The errors `lint` finds without rendering anything: variables in conditions and templates, key
 * paths. What the server checks in the rules it runs, at start-up and at each reload: rendering
 * every sample would cost it memory it keeps (a template that fails at run time sends a fallback
 * message anyway, visibly).
 */
export function lintNames(input: LintInput): Finding[] {
  return new Linter(input).names();
}

const HELPERS: ReadonlySet<string> = (() => {
  const hb = Handlebars.create();
  registerHelpers(hb);
  return new Set(Object.keys(hb.helpers).filter((h) => !h.endsWith('Missing')));
})();

class Linter {
  private readonly findings: Finding[] = [];
  private readonly at: Locator;
  private readonly raw: Record<string, unknown>;
  private readonly samples = new Map<string, Sample[]>();
  private readonly router: Router;
  private readonly partials = new Map<string, ParsedTemplate & { ref: NonNullable<TemplateRef> }>();
  /** Rule templates in which a helper or partial name was already reported. */
  private readonly badNames = new Set<string>();

  constructor(private readonly input: LintInput) {
    const lines = new LineCounter();
    const doc = parseDocument(input.source, { lineCounter: lines });
    this.at = new Locator(input.config.file, doc, lines, input.source);
    this.raw = (doc.toJS() ?? {}) as Record<string, unknown>;
    this.router = new Router(input.config);
    for (const s of [...builtInSamples(), ...(input.samples ?? [])]) this.samples.set(s.eventId, [...(this.samples.get(s.eventId) ?? []), s]);
    for (const id of input.config.knownEvents) if (!this.samples.has(id)) this.samples.set(id, [placeholderSample(id)]);
    for (const name of input.config.partials.keys()) {
      const ref = this.templateRef(['partials', name]);
      const parsed = ref && parseTemplate(ref.text);
      if (ref && parsed) this.partials.set(name, { ...parsed, ref });
    }
  }

  run(): LintReport {
    this.checkNames();
    const renderer = new MessageRenderer(this.input.config, this.input.compile);
    const reported = (rule: Rule, type: string, error: string) =>
      this.badNames.has(`${rule.index} ${type}`) && /^(Missing helper|The partial .* could not be found)/.test(error);
    const { problems, messages } = renderSamples(this.input.config, renderer, (r) => this.samplesOf(r), reported);
    for (const p of problems) this.add(p.severity, this.at.error(p.path, p.message(listed(p.samples))));
    this.unreachable();
    this.duplicateNames();
    this.environment();
    return { findings: this.sorted(), messages };
  }

  names(): Finding[] {
    this.checkNames();
    return this.sorted();
  }

  private checkNames(): void {
    const checker = new TemplateChecker(HELPERS, this.partials);
    for (const rule of this.input.config.rules) {
      this.conditionVars(rule);
      this.templateNames(rule, checker);
    }
    this.keyPaths();
  }

  private add(severity: Finding['severity'], e: ConfigError): void {
    this.findings.push({ ...e, severity });
  }

  /** The samples of every event the rule can take. */
  private samplesOf(rule: Rule): Sample[] {
    return [...this.samples.keys()].filter((id) => this.router.candidates(id).includes(rule)).flatMap((id) => this.samples.get(id)!);
  }

  private conditionVars(rule: Rule): void {
    if (rule.when === undefined) return;
    const samples = this.samplesOf(rule);
    const shapes = samples.map(shapeOf);
    for (const v of logicVars(rule.when)) {
      const r = resolvePath(shapes, v.name.split('.'));
      if (r.kind !== 'missing') continue;
      const message = `unknown variable "${v.name}"${suggest(r.suggestion?.join('.'))}: ${notIn(samples)}`;
      this.add('error', this.at.error(['rules', rule.index, 'when', ...v.path], message));
    }
  }

  /**
   * Paths that make group, throttle and incident keys. One that no event has gives every event the
   * same key: a misspelt incident key would file every client's balance under one incident.
   */
  private keyPaths(): void {
    for (const rule of this.input.config.rules) {
      const samples = this.samplesOf(rule);
      if (rule.group) this.keys(rule.group.by, ['rules', rule.index, 'group_by'], samples, 'this rule takes', 'group');
      if (rule.throttle) this.keys(rule.throttle.key, ['rules', rule.index, 'throttle', 'key'], samples, 'this rule takes', 'throttle count');
    }
    for (const incident of this.input.config.incidents.values()) {
      const samples = [...incident.opens, ...incident.closes].flatMap((id) => this.samples.get(id) ?? []);
      this.keys(incident.key, ['incidents', incident.name, 'key'], samples, 'open or close it', 'incident');
    }
  }

  private keys(paths: readonly string[], at: Path, samples: readonly Sample[], taker: string, shared: string): void {
    const shapes = samples.map(shapeOf);
    const listed = Array.isArray(this.rawAt(at));
    paths.forEach((p, i) => {
      const r = resolvePath(shapes, p.split('.'));
      if (r.kind !== 'missing') return;
      const effect = paths.length === 1 ? `every event would share one ${shared}` : 'it would tell no events apart';
      const message = `unknown path "${p}"${suggest(r.suggestion?.join('.'))}: ${notIn(samples, taker)}, so ${effect}`;
      this.add('error', this.at.error(listed ? [...at, i] : at, message));
    });
  }

  private rawAt(path: Path): unknown {
    let raw: unknown = this.raw;
    for (const key of path) raw = (raw as Record<string | number, unknown> | undefined)?.[key];
    return raw;
  }

  /** Each of the rule's own template parts (and digest parts), checked against every context it is rendered with. */
  private templateNames(rule: Rule, checker: TemplateChecker): void {
    const samples = this.samplesOf(rule);
    const sets: Array<['template' | 'digest', string, ReadonlyMap<string, unknown>]> = [
      ...[...rule.templates].map(([type, parts]) => ['template', type, parts] as ['template', string, ReadonlyMap<string, unknown>]),
      ...[...(rule.group?.digest ?? [])].map(([type, parts]) => ['digest', type, parts] as ['digest', string, ReadonlyMap<string, unknown>]),
    ];
    for (const [key, type, parts] of sets) {
      const destinations = rule.to.filter((d) => this.input.config.destinations.get(d)?.type === type);
      const contexts =
        key === 'template'
          ? samples.flatMap((s) => destinations.map((d) => ({ ...shapeOf(s), rule: { name: rule.name }, destination: { name: d, type } })))
          : destinations.map((d) => ({ ...digestShape(samples), rule: { name: rule.name }, destination: { name: d, type } }));
      for (const part of parts.keys()) {
        const path = ['rules', rule.index, key, type, part];
        const ref = this.templateRef(path);
        const parsed = ref && parseTemplate(ref.text);
        if (!ref || !parsed) continue;
        for (const issue of checker.check(parsed, contexts)) {
          if (issue.kind !== 'variable') this.badNames.add(`${rule.index} ${type}`);
          this.add('error', this.issueError(issue, path, ref, rule, samples));
        }
      }
    }
  }

  private issueError(issue: TemplateIssue, path: Path, ref: NonNullable<TemplateRef>, rule: Rule, samples: readonly Sample[]): ConfigError {
    const what = issue.kind === 'variable' ? `unknown variable "${issue.name}"` : `unknown ${issue.kind} "${issue.name}"`;
    const why =
      issue.kind === 'variable' ? `: ${notIn(samples)}` : issue.kind === 'partial' ? '; partials are declared under `partials:`' : issue.suggestion ? '' : '; README, "Helpers", lists them';
    const where = issue.partial !== undefined ? ` (in partial "${issue.partial}", rendered by rule "${rule.name}")` : '';
    const message = `${what}${suggest(issue.suggestion)}${why}${where}`;
    const partial = issue.partial !== undefined ? this.partials.get(issue.partial) : undefined;
    const [src, srcPath] = partial ? [partial.ref, ['partials', issue.partial!]] : [ref, path];
    if (src.file !== undefined) return { file: this.input.showFile(src.file), line: issue.line, col: issue.col, path: formatPath(srcPath), message };
    return this.at.errorAtText(srcPath, issue.name, issue.occurrence, message);
  }

  /** A template's source as written in the rules file: inline, or the file it names. */
  private templateRef(path: Path): TemplateRef {
    const raw = this.rawAt(path);
    if (typeof raw === 'string') return { text: raw };
    const file = (raw as { file?: unknown } | undefined)?.file;
    if (typeof file !== 'string') return undefined;
    const text = this.input.readFile(file);
    return text === undefined ? undefined : { text, file };
  }

  /** Rules that never get an event: an earlier rule without a condition takes all of theirs first. */
  private unreachable(): void {
    const rules = this.input.config.rules;
    for (const rule of rules) {
      const ids = [...this.samples.keys()].filter((id) => this.router.candidates(id).includes(rule));
      const blockers = new Set<Rule>();
      const blocked = ids.every((id) => {
        const first = this.router.candidates(id).find((r) => r.index < rule.index && (r.when === undefined || r.when === true) && !r.continue);
        if (first) blockers.add(first);
        return first !== undefined;
      });
      if (ids.length === 0 || !blocked) continue;
      const names = [...blockers].map((b) => `"${b.name}" (rules[${b.index}])`);
      const message =
        names.length === 1
          ? `never takes an event: rule ${names[0]} takes all of its events first and does not continue`
          : `never takes an event: rules ${names.join(', ')} take all of its events first and do not continue`;
      this.add('warning', this.at.error(['rules', rule.index], message));
    }
  }

  private duplicateNames(): void {
    const seen = new Map<string, Rule>();
    for (const rule of this.input.config.rules) {
      const first = seen.get(rule.name);
      if (first) this.add('warning', this.at.error(['rules', rule.index, 'name'], `rules[${first.index}] has the same name; \`switchboard test\`, explain and test cases tell rules apart by name`));
      else seen.set(rule.name, rule);
    }
  }

  /** Environment variables a destination refers to that are unset, and destinations left without credentials. */
  private environment(): void {
    const { env, config } = this.input;
    const walk = (value: unknown, path: Path): void => {
      if (typeof value === 'string') {
        for (const ref of envReferences(value)) {
          if (ref.fallback === undefined && !env[ref.name]) this.add('warning', this.at.error(path, `environment variable ${ref.name} is not set (the value becomes empty)`));
        }
      } else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
    };
    walk(this.raw.destinations, ['destinations']);
    for (const dest of config.destinations.values()) {
      let connection: ReturnType<typeof dest.kind.connect>;
      try {
        connection = dest.kind.connect(dest.settings, env);
      } catch (e) {
        this.add('warning', this.at.error(['destinations', dest.name], `cannot be connected with this environment: ${(e as Error).message}`));
        continue;
      }
      if ('missing' in connection) {
        this.add('warning', this.at.error(['destinations', dest.name], `no credentials (${connection.missing}): its messages would be logged, not sent`));
      } else void connection.close?.();
    }
  }

  private sorted(): Finding[] {
    const file = this.input.config.file;
    return this.findings.sort((a, b) => Number(a.file !== file) - Number(b.file !== file) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  }
}

/** What a digest template reads: the events of the rule's samples, each as its own message reads it, and what a digest adds. */
function digestShape(samples: readonly Sample[]): Record<string, unknown> {
  const events = samples.map((s) => ({ ...shapeOf(s), title: s.eventId, summary: s.eventId, line: s.eventId }));
  return { events, count: events.length, title: 'events', group: { label: 'group' }, first_dt: '2022-01-24T15:44:47+00:00', last_dt: '2022-01-24T15:44:47+00:00' };
}

const suggest = (s: string | undefined) => (s !== undefined ? ` (did you mean "${s}"?)` : '');

/** "not in the sample of clients.create", or of the events a rule takes. */
function notIn(samples: readonly Sample[], taker = 'this rule takes'): string {
  const labels = [...new Set(samples.map((s) => s.label))];
  if (labels.length === 1) return `not in the sample of ${labels[0]}`;
  if (labels.length <= 3) return `not in the samples of ${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
  return `in none of the samples of the ${labels.length} events ${taker}`;
}

/** "clients.create", "clients.create and importd.process_failed", "clients.create and 3 more". */
function listed(labels: readonly string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length === 1) return unique[0]!;
  if (unique.length === 2) return `${unique[0]} and ${unique[1]}`;
  return `${unique[0]} and ${unique.length - 1} more events`;
}
