/**
 * Handlebars' compile errors, told in words an operator can act on and placed in the template.
 *
 * Handlebars says "Parse error on line 2: ... Expecting 'CLOSE_RAW_BLOCK', 'CLOSE', ... got 'EOF'"
 * and "if doesn't match each - 1:3". Everything here is read from those errors: the line, the
 * excerpt and caret of a parse error (which place the offending token exactly), the expected and
 * found tokens, and the location of a block error. Where an error leaves something out (the block a
 * template leaves open, the {{/…}} that closes the wrong block), Handlebars is asked again with the
 * template, or the part of it up to a candidate, and its answer is read the same way.
 */

/** 1-based, in the template's own text. */
export interface TemplatePosition {
  readonly line: number;
  readonly col: number;
}

export interface TemplateSyntaxError {
  /** Where the mistake is; undefined when Handlebars does not say. */
  readonly at?: TemplatePosition;
  /** What is wrong; a position the message names (where a block was opened) is shown by `show`. */
  message(show: (p: TemplatePosition) => string): string;
}

/** Compiles a template as the loader does and returns what it throws; undefined when it compiles. */
export type TryCompile = (source: string) => unknown;

/** A block name no template uses: closing with it makes Handlebars name the innermost open block. */
const PROBE = '__switchboard_end_of_template__';

export function explainTemplateError(error: unknown, source: string, tryCompile: TryCompile): TemplateSyntaxError {
  const text = messageOf(error);
  const block = parseBlockMismatch(error, text);
  if (block) return mismatchedBlock(block, source, text, tryCompile) ?? raw(text, positionOfLine(block.line));
  const parse = parseParseError(text);
  if (parse) return parseError(parse, source, tryCompile) ?? raw(text, positionOfLine(parse.line));
  const lexical = parseLexicalError(text);
  if (lexical) return lexicalError(lexical, source) ?? raw(text, positionOfLine(lexical.line));
  return raw(text, undefined);
}

// --- reading Handlebars' errors ---------------------------------------------------------------

interface ParseErrorText {
  /** Handlebars' line: where the lexer was after reading the offending token. */
  line: number;
  /** The excerpt around the offending token, newlines removed, and the caret's column in it. */
  excerpt: string;
  caret: number;
  expected: string[];
  got: string;
}

/** "Parse error on line 2:\n<excerpt>\n-----^\nExpecting 'A', 'B', got 'C'" */
function parseParseError(text: string): ParseErrorText | undefined {
  const lines = text.split('\n');
  const head = /^Parse error on line (\d+):$/.exec(lines[0] ?? '');
  const caret = /^(-*)\^$/.exec(lines[2] ?? '');
  const tail = /^Expecting (.*), got '([^']+)'$/.exec(lines[3] ?? '');
  if (!head || !caret || !tail || lines[1] === undefined) return undefined;
  const expected = [...tail[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return { line: Number(head[1]), excerpt: lines[1], caret: caret[1]!.length, expected, got: tail[2]! };
}

interface LexicalErrorText {
  line: number;
  excerpt: string;
  caret: number;
}

/** "Lexical error on line 1. Unrecognized text.\n<excerpt>\n----^" */
function parseLexicalError(text: string): LexicalErrorText | undefined {
  const lines = text.split('\n');
  const head = /^Lexical error on line (\d+)\./.exec(lines[0] ?? '');
  const caret = /^(-*)\^$/.exec(lines[2] ?? '');
  if (!head || !caret || lines[1] === undefined) return undefined;
  return { line: Number(head[1]), excerpt: lines[1], caret: caret[1]!.length };
}

interface BlockMismatch {
  open: string;
  close: string;
  /** Where the opening block's name is: 1-based line, 0-based column, as Handlebars gives them. */
  line: number;
  column: number;
}

/** "if doesn't match each - 1:3", with the same place in `lineNumber` and `column`. */
function parseBlockMismatch(error: unknown, text: string): BlockMismatch | undefined {
  const m = /^(.+) doesn't match (.+) - (\d+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const e = error as { lineNumber?: unknown; column?: unknown };
  const line = typeof e.lineNumber === 'number' ? e.lineNumber : Number(m[3]);
  const column = typeof e.column === 'number' ? e.column : Number(m[4]);
  return { open: m[1]!, close: m[2]!, line, column };
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Where in `source` the excerpt's caret points. Handlebars shows the 20 characters before the
 * token ("..." first when there are more) and the 20 from it, newlines left out; the offset whose
 * surroundings read the same is the token's. When several do, the one nearest Handlebars' line
 * (the line of the last token it accepted), the later of two as near.
 */
function offsetOfExcerpt(source: string, excerpt: string, caret: number, line: number): number | undefined {
  const before = excerpt.slice(0, caret);
  const after = excerpt.slice(caret);
  let found: number | undefined;
  let distance = Infinity;
  for (let p = 0, at = 1; p <= source.length; p++) {
    if (p > 0 && source[p - 1] === '\n') at++;
    const shown = (p > 20 ? '...' : '') + source.slice(Math.max(0, p - 20), p).replace(/\n/g, '');
    // Newlines are left out of the excerpt: a token after one reads the same from before it.
    if (source[p] === '\n') continue;
    if (shown !== before || !after.startsWith(source.slice(p, p + 20).replace(/\n/g, ''))) continue;
    if (Math.abs(at - line) <= distance) [found, distance] = [p, Math.abs(at - line)];
  }
  return found;
}

function positionOf(source: string, offset: number): TemplatePosition {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function offsetOf(source: string, line: number, col0: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = source.indexOf('\n', offset);
    if (next === -1) return source.length;
    offset = next + 1;
  }
  return Math.min(offset + col0, source.length);
}

const positionOfLine = (line: number): TemplatePosition => ({ line, col: 1 });

// --- the mistakes -----------------------------------------------------------------------------

function raw(text: string, at: TemplatePosition | undefined): TemplateSyntaxError {
  // Handlebars' parse errors show an excerpt of the template and a caret under it, on lines of their own.
  const lines = text.split('\n');
  if (/^-*\^$/.test(lines[2] ?? '')) lines.splice(1, 2);
  const compact = lines.filter((l) => l.trim() !== '').join(' ');
  return { ...(at ? { at } : {}), message: () => compact };
}

/** `{{#if data.id}}`…`{{/each}}`: said at the {{/each}}, with where the block was opened. */
function mismatchedBlock(m: BlockMismatch, source: string, text: string, tryCompile: TryCompile): TemplateSyntaxError | undefined {
  const open = tagAround(source, offsetOf(source, m.line, m.column));
  if (!open) return undefined;
  const expected = `{{/${m.open}}}`;
  // The {{/each}} that closes it: the first one after it with which Handlebars reports the same.
  const closes = new RegExp(`\\{\\{~?\\s*/\\s*${escapeRegExp(m.close)}\\s*~?\\}\\}`, 'g');
  closes.lastIndex = open.end;
  let close: RegExpExecArray | null;
  for (let tries = 0; (close = closes.exec(source)) && tries < 50; tries++) {
    if (messageOf(tryCompile(source.slice(0, close.index + close[0].length))) !== text) continue;
    const opened = positionOf(source, open.start);
    return { at: positionOf(source, close.index), message: (show) => `${close![0]} closes ${open.text}, opened at ${show(opened)}; expected ${expected}` };
  }
  return { at: positionOf(source, open.start), message: () => `${open.text} is closed by {{/${m.close}}}; expected ${expected}` };
}

function parseError(e: ParseErrorText, source: string, tryCompile: TryCompile): TemplateSyntaxError | undefined {
  const p = offsetOfExcerpt(source, e.excerpt, e.caret, e.line);
  if (p === undefined) return undefined;
  const at = positionOf(source, p);
  const got = e.got === 'EOF' ? 'the end of the template' : tokenAt(source, p);

  const opener = openMustache(source, p);
  if (opener !== undefined) {
    const want = closerOf(source, opener);
    const rest = source.slice(opener);
    const mustache = excerpt(source.slice(opener, p));
    if (e.got === 'INVALID' && source[p] === '}') return { at, message: () => `expected ${want} to close ${mustache}, got a single }` };
    // Never closed: whatever Handlebars stumbled on, the mustache runs to the end of the template.
    if (!rest.includes(want.slice(0, 2))) {
      return { at: positionOf(source, opener), message: () => `expected ${want} to close ${excerpt(rest.split('\n')[0]!)}, got the end of the template` };
    }
    const closes = { CLOSE: '}}', CLOSE_UNESCAPED: '}}}', CLOSE_RAW_BLOCK: '}}}}' } as Record<string, string>;
    const wrongClose = closes[e.got] !== undefined && closes[e.got] !== want && Object.entries(closes).some(([t, c]) => c === want && e.expected.includes(t));
    if (e.got === 'EOF' || source.startsWith('{{', p) || wrongClose) {
      return { at, message: () => `expected ${want} to close ${mustache}, got ${got}` };
    }
    const whole = excerpt(source.slice(opener, closingEnd(source, p, want)));
    const values = ['STRING', 'NUMBER', 'BOOLEAN', 'UNDEFINED', 'NULL', 'DATA', 'OPEN_SEXPR'];
    if (e.expected.includes('ID') && !e.expected.includes('STRING') && values.includes(e.got)) {
      return { at, message: () => `${got} in ${whole} comes after a key=value argument: arguments without a name go first` };
    }
    const words = expectedWords(e.expected, want, source.slice(opener, p));
    return { at, message: () => `unexpected ${got} in ${whole}${words ? `: expected ${words}` : ''}` };
  }

  if (e.got === 'EOF' && e.expected.includes('OPEN_ENDBLOCK')) return unclosedBlock(source, tryCompile) ?? { at, message: () => 'a {{#…}} block is not closed: expected its {{/…}} before the end of the template' };
  if (e.got === 'OPEN_ENDBLOCK') {
    const name = /^\{\{~?\s*\/\s*([^\s}~]+)/.exec(source.slice(p))?.[1] ?? '…';
    return { at, message: () => `${got} closes no block: there is no {{#${name}}} open before it` };
  }
  if (e.got === 'INVERSE' || e.got === 'OPEN_INVERSE_CHAIN') {
    return { at, message: () => `unexpected ${got}: an {{else}} goes inside a {{#…}} block, after any {{else if …}}, once` };
  }
  return { at, message: () => `unexpected ${got}` };
}

/** A template that ends with a block open: Handlebars names the innermost one when asked to close it. */
function unclosedBlock(source: string, tryCompile: TryCompile): TemplateSyntaxError | undefined {
  const error = tryCompile(`${source}{{/${PROBE}}}`);
  const probe = error === undefined ? undefined : parseBlockMismatch(error, messageOf(error));
  if (!probe || probe.close !== PROBE) return undefined;
  const open = tagAround(source, offsetOf(source, probe.line, probe.column));
  if (!open) return undefined;
  return { at: positionOf(source, open.start), message: () => `${open.text} is not closed: expected {{/${probe.open}}} before the end of the template` };
}

function lexicalError(e: LexicalErrorText, source: string): TemplateSyntaxError | undefined {
  // The lexer's excerpt of an open comment does not read like the source; find the comment instead.
  const comment = source.lastIndexOf('{{!--');
  if (comment !== -1 && !source.includes('--}}', comment + 5)) {
    return { at: positionOf(source, comment), message: () => 'a {{!-- comment is not closed: expected --}} before the end of the template' };
  }
  const p = offsetOfExcerpt(source, e.excerpt, e.caret, e.line);
  return p === undefined ? undefined : raw('Handlebars cannot read the template here', positionOf(source, p));
}

// --- pieces of the source ---------------------------------------------------------------------

/** The start of the {{ (or {{{, {{{{) whose mustache `p` is inside of; undefined when `p` is not in one. */
function openMustache(source: string, p: number): number | undefined {
  if (p < 2) return undefined;
  const open = source.lastIndexOf('{{', p - 2);
  if (open === -1 || source.slice(open, p).includes('}}')) return undefined;
  let start = open;
  while (start > 0 && source[start - 1] === '{') start--;
  return start;
}

/** }} for {{, }}} for {{{ (unescaped), }}}} for a raw block's {{{{. */
function closerOf(source: string, opener: number): string {
  const braces = /^\{+/.exec(source.slice(opener))![0].length;
  return '}'.repeat(Math.min(Math.max(braces, 2), 4));
}

/** The end of the mustache around `p`: past its closing braces, or the end of its line. */
function closingEnd(source: string, p: number, want: string): number {
  const close = source.indexOf(want.slice(0, 2), p);
  const eol = source.indexOf('\n', p);
  if (close !== -1 && (eol === -1 || close < eol)) return close + want.length;
  return eol === -1 ? source.length : eol;
}

/** The tag (`{{#if data.id}}`) a block's name at `offset` is in. */
function tagAround(source: string, offset: number): { start: number; end: number; text: string } | undefined {
  const open = source.lastIndexOf('{{', offset);
  const close = source.indexOf('}}', offset);
  if (open === -1 || close === -1) return undefined;
  let start = open;
  while (start > 0 && source[start - 1] === '{') start--;
  let end = close + 2;
  while (source[end] === '}' && end - close < 4) end++;
  return { start, end, text: excerpt(source.slice(start, end)) };
}

/** What is at `p`, as the template has it: a tag, a quoted string, braces, or a word. */
function tokenAt(source: string, p: number): string {
  const rest = source.slice(p);
  if (rest.startsWith('{{')) {
    const close = rest.indexOf('}}');
    return excerpt(close === -1 ? rest : rest.slice(0, close + 2));
  }
  const m = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|~?\}{1,4}|[()=|]|[^\s{}()=|~]+)/.exec(rest);
  return m ? m[1]! : JSON.stringify(rest.slice(0, 1));
}

/** The parser's expected tokens in words, leaving out the ones that do not fit this mustache. */
function expectedWords(expected: readonly string[], want: string, inside: string): string {
  const open = (inside.match(/\(/g) ?? []).length - (inside.match(/\)/g) ?? []).length;
  const words = new Set<string>();
  for (const t of expected) {
    if (/^CLOSE(_UNESCAPED|_RAW_BLOCK)?$/.test(t)) {
      if ({ CLOSE: '}}', CLOSE_UNESCAPED: '}}}', CLOSE_RAW_BLOCK: '}}}}' }[t] === want && open <= 0) words.add(want);
    } else if (t === 'CLOSE_SEXPR') {
      if (open > 0) words.add(')');
    } else if (t === 'ID') words.add('a name');
    else if (['STRING', 'NUMBER', 'BOOLEAN', 'UNDEFINED', 'NULL', 'DATA', 'OPEN_SEXPR'].includes(t)) words.add('a value');
    else if (t === 'EQUALS') words.add('=');
    else if (t === 'CLOSE_BLOCK_PARAMS') words.add('|');
  }
  const order = [want, ')', '=', 'a name', 'a value', '|'];
  const list = [...words].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** Template text for a message: on one line, and not too long. */
function excerpt(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 59)}…` : one;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
