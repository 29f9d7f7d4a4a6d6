import type { Document, LineCounter } from 'yaml';
import { isMap, isNode, isPair, isScalar, Scalar } from 'yaml';

/** One problem in a rules file, where it is and what was expected. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The YAML path, e.g. `rules[0].events[1]`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export type Path = readonly (string | number)[];

/** `rules[0].events[1]` */
export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** `rules.yaml:12:7: rules[0].events[1]: unknown event id ...` */
export function formatError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

/** Finds source positions for YAML paths, pointing at the deepest node that exists. */
export class Locator {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    /** The document's text, for positions inside a scalar (see `errorAtText`). */
    private readonly source?: string,
  ) {}

  /** An error at `path`; `atKey` points at a mapping key (an unknown key) rather than its value. */
  error(path: Path, message: string, atKey = false): ConfigError {
    return { file: this.file, ...this.position(path, atKey), path: formatPath(path), message };
  }

  /**
   * An error at the `occurrence`-th appearance of `text` inside the scalar at `path` (a variable in
   * an inline template); at the scalar itself when the text cannot be found there (YAML escapes).
   */
  errorAtText(path: Path, text: string, occurrence: number, message: string): ConfigError {
    const node = this.nodeAt(path, false);
    if (this.source !== undefined && isScalar(node) && node.range) {
      const [start, end] = node.range;
      let at = start - 1;
      for (let n = 0; n <= occurrence && at !== -1; n++) at = this.source.indexOf(text, at + 1);
      if (at !== -1 && at + text.length <= end) {
        return { file: this.file, ...this.lines.linePos(at), path: formatPath(path), message };
      }
    }
    return this.error(path, message);
  }

  /**
   * Where `at` (1-based line and column of the string's value) is in the file, for the string at
   * `path` (an inline template); undefined when the YAML does not keep the value's text as written.
   */
  positionInString(path: Path, at: { line: number; col: number }): { line: number; col: number } | undefined {
    const node = this.nodeAt(path, false);
    if (this.source === undefined || !isScalar(node) || !node.range || typeof node.value !== 'string') return undefined;
    const text = node.value.split('\n')[at.line - 1];
    if (text === undefined) return undefined;
    const [start, end] = node.range;
    switch (node.type) {
      case Scalar.BLOCK_LITERAL: {
        // The value's lines are the lines after the `|` header, each less the block's indentation,
        // which is what the source line has before the value's line.
        const line = this.lines.linePos(start).line + at.line;
        const from = this.lines.lineStarts[line - 1];
        if (from === undefined || from >= end) return undefined;
        const eol = this.source.indexOf('\n', from);
        const written = this.source.slice(from, eol === -1 ? this.source.length : eol).replace(/\r$/, '');
        const indent = written.length - text.length;
        if (indent < 0 || !written.endsWith(text) || !/^ *$/.test(written.slice(0, indent))) return undefined;
        return { line, col: indent + at.col };
      }
      case Scalar.PLAIN:
      case Scalar.QUOTE_DOUBLE:
      case Scalar.QUOTE_SINGLE: {
        // Only when the value is written as it reads: on one line and without escapes (a string
        // folded over lines, `\"` or `''` moves the characters after it).
        const quote = node.type === Scalar.PLAIN ? '' : node.type === Scalar.QUOTE_DOUBLE ? '"' : "'";
        if (this.source.slice(start, end) !== quote + node.value + quote || at.line !== 1) return undefined;
        return this.lines.linePos(start + quote.length + at.col - 1);
      }
      default:
        // A folded block (`>`) joins its lines, so a line of the value is not a line of the file.
        return undefined;
    }
  }

  private position(path: Path, atKey: boolean): { line: number; col: number } {
    const node = this.nodeAt(path, atKey);
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /** The deepest node of `path` that exists. */
  private nodeAt(path: Path, atKey: boolean): unknown {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        if (!pair) break;
        node = atKey && i === path.length - 1 ? pair.key : pair.value;
      } else if (isNode(node) && 'items' in node && typeof key === 'number') {
        const next = (node.items as unknown[])[key];
        if (next === undefined) break;
        node = next;
      } else break;
    }
    return node;
  }

  /** Offset-based position, for YAML syntax errors. */
  at(offset: number, message: string): ConfigError {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col, path: '', message };
  }
}
