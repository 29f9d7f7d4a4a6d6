import Handlebars from 'handlebars';
import { closest } from '../config/did-you-mean.ts';
import { ANY, resolvePath, whereTruthy } from './paths.ts';

type AST = hbs.AST.Program;
type Node = hbs.AST.Node;
type Path = hbs.AST.PathExpression;
type Call = { path: Node; params: Node[]; hash?: hbs.AST.Hash; loc: hbs.AST.SourceLocation };

/** A name in a template that nothing provides: a variable no sample has, an unknown helper or partial. */
export interface TemplateIssue {
  readonly kind: 'variable' | 'helper' | 'partial';
  /** As written: `data.nmae`, `dat`, `foter`. */
  readonly name: string;
  readonly suggestion?: string;
  /** 1-based, in the template's (or the partial's) own source. */
  readonly line: number;
  readonly col: number;
  /** Which appearance of `name` in that source it is (0 for the first), to find it again in YAML. */
  readonly occurrence: number;
  /** Set when the name is in this partial, not in the template itself. */
  readonly partial?: string;
}

/** A parsed template, with its source for positions. */
export interface ParsedTemplate {
  readonly ast: AST;
  readonly source: string;
}

/** Parses a template for checking; undefined when it does not parse (the loader reports that). */
export function parseTemplate(source: string): ParsedTemplate | undefined {
  try {
    return { ast: Handlebars.parse(source), source };
  } catch {
    return undefined;
  }
}

interface Scope {
  /** What `this` may be here: one value per sample (or ANY). */
  readonly values: readonly unknown[];
  readonly parent?: Scope;
  /** `as |item index|` names. */
  readonly params?: ReadonlyMap<string, readonly unknown[]>;
}

const SAME_CONTEXT = new Set(['if', 'unless', 'log']);
// `{{#if data.error}}`, `{{default data.credentials data.mailbox}}`: a template shared by several
// events tests for, or falls back to, fields that only some of them have, maybe none of this rule's.
const ALTERNATIVES = new Set(['if', 'unless', 'with', 'each', 'default', 'or']);
const MAX_PARTIAL_DEPTH = 10;

/**
 * Walks a template's syntax tree with the sample contexts it will be rendered with, following the
 * context into {{#each}}, {{#with}}, block params, `../` and partials, and reports every name that
 * resolves to nothing.
 */
export class TemplateChecker {
  private issues: TemplateIssue[] = [];
  private source = '';
  private partial: string | undefined;
  private depth = 0;

  constructor(
    private readonly helpers: ReadonlySet<string>,
    private readonly partials: ReadonlyMap<string, ParsedTemplate>,
  ) {}

  check(template: ParsedTemplate, contexts: readonly unknown[]): TemplateIssue[] {
    this.issues = [];
    this.walkIn(template, undefined, { values: contexts });
    return this.issues;
  }

  private walkIn(template: ParsedTemplate, partial: string | undefined, scope: Scope): void {
    const [source, current] = [this.source, this.partial];
    [this.source, this.partial] = [template.source, partial];
    this.program(template.ast, scope);
    [this.source, this.partial] = [source, current];
  }

  private program(program: AST | undefined, scope: Scope): void {
    for (const node of program?.body ?? []) this.statement(node, scope);
  }

  private statement(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'MustacheStatement':
        this.call(node as unknown as Call, scope);
        break;
      case 'BlockStatement': {
        const block = node as hbs.AST.BlockStatement;
        this.call(block as unknown as Call, scope);
        const [then, otherwise] = this.branches(block, scope);
        this.program(block.program, this.inner(block, then));
        this.program(block.inverse, otherwise);
        break;
      }
      case 'PartialStatement':
        this.partialCall(node as hbs.AST.PartialStatement, scope);
        break;
      case 'PartialBlockStatement':
      case 'DecoratorBlock':
        this.program((node as hbs.AST.PartialBlockStatement).program, scope);
        break;
    }
  }

  /** A mustache or a block's opening: a helper call with its arguments, or a variable. */
  private call(node: Call, scope: Scope): void {
    const hasArgs = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    let helper: string | undefined;
    if (node.path.type === 'PathExpression') {
      const path = node.path as Path;
      if (hasArgs || this.isHelper(path)) {
        if (!this.isHelper(path)) this.report('helper', path, closest(path.original, this.helpers));
        else helper = path.parts[0];
      } else this.variable(path, scope);
    } else if (node.path.type === 'SubExpression') this.expression(node.path, scope);
    const lenient = helper !== undefined && ALTERNATIVES.has(helper);
    for (const p of node.params) this.expression(p, scope, lenient);
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, scope);
  }

  private expression(node: Node, scope: Scope, lenient = false): void {
    if (node.type === 'PathExpression') this.variable(node as Path, scope, lenient);
    else if (node.type === 'SubExpression') this.call(node as unknown as Call, scope);
  }

  private isHelper(path: Path): boolean {
    return !path.data && path.depth === 0 && path.parts.length === 1 && !/^(this|\.)/.test(path.original) && this.helpers.has(path.parts[0]!);
  }

  /** The values a path may have here; [ANY] when that cannot be told. */
  private values(node: Node | undefined, scope: Scope): readonly unknown[] {
    if (node?.type !== 'PathExpression') return [ANY];
    const target = this.target(node as Path, scope);
    if (!target) return [ANY];
    const r = resolvePath(target.values, target.parts);
    return r.kind === 'found' ? r.values : [ANY];
  }

  /** What a path is looked up in, and the parts to follow there; undefined for data such as @index. */
  private target(path: Path, scope: Scope): { values: readonly unknown[]; parts: readonly string[] } | undefined {
    if (path.data) {
      if (path.parts[0] !== 'root') return undefined;
      let root = scope;
      while (root.parent) root = root.parent;
      return { values: root.values, parts: path.parts.slice(1) };
    }
    let s = scope;
    for (let d = 0; d < path.depth && s.parent; d++) s = s.parent;
    const first = path.parts[0];
    if (path.depth === 0 && first !== undefined && !/^(this|\.)/.test(path.original)) {
      for (let b: Scope | undefined = scope; b; b = b.parent) {
        const param = b.params?.get(first);
        if (param) return { values: param, parts: path.parts.slice(1) };
      }
    }
    return { values: s.values, parts: path.parts };
  }

  /** `lenient`: a test or an alternative, reported only when it looks like a misspelling of a field that exists. */
  private variable(path: Path, scope: Scope, lenient = false): void {
    const target = this.target(path, scope);
    if (!target || target.parts.length === 0) return;
    const r = resolvePath(target.values, target.parts);
    if (r.kind !== 'missing' || (lenient && !r.suggestion)) return;
    const written = target.parts.join('.');
    const prefix = path.original.endsWith(written) ? path.original.slice(0, path.original.length - written.length) : '';
    this.report('variable', path, r.suggestion && prefix + r.suggestion.join('.'));
  }

  /**
   * The samples each branch of {{#if path}} / {{#unless path}} renders for: inside
   * `{{#if data.error}}`, only events that have an error. Other blocks: all of them.
   */
  private branches(block: hbs.AST.BlockStatement, scope: Scope): [Scope, Scope] {
    const name = block.path.type === 'PathExpression' && this.isHelper(block.path) ? block.path.parts[0] : undefined;
    const [test] = block.params;
    if ((name !== 'if' && name !== 'unless') || block.params.length !== 1 || test?.type !== 'PathExpression') return [scope, scope];
    const path = test as Path;
    if (path.data || path.depth > 0 || /^(this|\.)/.test(path.original) || this.isBlockParam(path.parts[0], scope)) return [scope, scope];
    const when = (truthy: boolean): Scope => ({ ...scope, values: whereTruthy(scope.values, path.parts, truthy === (name === 'if')) });
    return [when(true), when(false)];
  }

  private isBlockParam(name: string | undefined, scope: Scope): boolean {
    for (let b: Scope | undefined = scope; b && name !== undefined; b = b.parent) if (b.params?.has(name)) return true;
    return false;
  }

  /** The context inside a block: an item of {{#each}}, the value of {{#with}}, or unknown. */
  private inner(block: hbs.AST.BlockStatement, scope: Scope): Scope {
    const name = block.path.type === 'PathExpression' && this.isHelper(block.path) ? block.path.parts[0]! : undefined;
    if (name !== undefined && SAME_CONTEXT.has(name)) return scope;
    const [first] = block.params;
    let values: readonly unknown[];
    let keys: readonly unknown[] = [ANY];
    if (name === 'each' || (name === undefined && block.params.length === 0)) {
      // {{#each list}}, or a section such as {{#data.rate_tables}}...{{/data.rate_tables}}
      const lists = this.values(name === 'each' ? first : block.path, scope);
      values = lists.flatMap((l) => (l === ANY ? [ANY] : Array.isArray(l) ? l : l && typeof l === 'object' ? (name === 'each' ? Object.values(l) : [l]) : []));
      keys = lists.flatMap((l): unknown[] => (Array.isArray(l) ? l.map((_, i) => i) : l && typeof l === 'object' ? Object.keys(l) : [ANY]));
    } else if (name === 'with') values = this.values(first, scope).filter((v) => v !== null && v !== undefined);
    else values = [ANY];
    const [item, index] = block.program?.blockParams ?? [];
    const params = new Map<string, readonly unknown[]>();
    if (item) params.set(item, values);
    if (index) params.set(index, keys);
    return { values, parent: scope, params };
  }

  private partialCall(node: hbs.AST.PartialStatement, scope: Scope): void {
    if (node.name.type !== 'PathExpression') return; // {{> (dynamic) }}: known only when rendered
    const name = (node.name as Path).original;
    for (const p of node.params) this.expression(p, scope);
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, scope);
    const partial = this.partials.get(name);
    if (!partial) return this.report('partial', node.name as Path, closest(name, this.partials.keys()), name);
    if (this.depth >= MAX_PARTIAL_DEPTH) return;
    // {{> name context}} renders with that context; hash values are added to it.
    const values = node.params.length > 0 ? this.values(node.params[0], scope) : (node.hash?.pairs.length ?? 0) > 0 ? [ANY] : scope.values;
    this.depth++;
    this.walkIn(partial, name, { values });
    this.depth--;
  }

  private report(kind: TemplateIssue['kind'], node: Path, suggestion: string | undefined, name = node.original): void {
    const { line, column } = node.loc.start;
    const offset = offsetOf(this.source, line, column);
    let occurrence = 0;
    for (let at = this.source.indexOf(name); at !== -1 && at < offset; at = this.source.indexOf(name, at + 1)) occurrence++;
    this.issues.push({
      kind,
      name,
      line,
      col: column + 1,
      occurrence,
      ...(suggestion !== undefined ? { suggestion } : {}),
      ...(this.partial !== undefined ? { partial: this.partial } : {}),
    });
  }
}

function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = source.indexOf('\n', offset) + 1;
  return offset + column;
}
