import jsonLogic from 'json-logic-js';
import { formatPath, type Path } from '../config/errors.ts';
import type { Logic } from './condition.ts';

/** A variable a condition read, and what it found. */
export interface SeenValue {
  readonly name: string;
  readonly value: unknown;
  /** The payload has no such field (json-logic reads it as null). */
  readonly missing: boolean;
}

/** The smallest part of a condition that made it false, and the values it saw. */
export interface FalsePart {
  /** Where it is under the rule, e.g. `when.and[1]`. */
  readonly path: string;
  /** The operation, written out: `data.rates.increased > 50`. */
  readonly expression: string;
  readonly values: readonly SeenValue[];
}

/**
 * Why a condition is false: for `and`, the first operand that is false; for `or`, every operand;
 * for `if`, the branch taken; otherwise the operation itself, with the variables it read.
 */
export function whyFalse(logic: Logic, context: unknown): FalsePart[] {
  return explain(logic, context, ['when']);
}

function explain(logic: unknown, context: unknown, path: Path): FalsePart[] {
  const op = operation(logic);
  if (op) {
    const { name, args, argPath } = op;
    const at = (i: number) => [...path, ...argPath(i)];
    if (name === 'and') {
      const i = args.findIndex((a) => !truthy(a, context));
      if (i >= 0) return explain(args[i], context, at(i));
    } else if (name === 'or') {
      return args.flatMap((a, i) => explain(a, context, at(i)));
    } else if (name === '!!' && args.length === 1) {
      return explain(args[0], context, at(0));
    } else if (name === 'if' || name === '?:') {
      for (let i = 0; i + 1 < args.length; i += 2) if (truthy(args[i], context)) return explain(args[i + 1], context, at(i + 1));
      if (args.length % 2 === 1) return explain(args[args.length - 1], context, at(args.length - 1));
    }
  }
  return [{ path: formatPath(path), expression: show(logic), values: variables(logic).map((name) => seen(name, context)) }];
}

/** `a > b` for one-line messages. */
function show(logic: unknown, nested = false): string {
  const op = operation(logic);
  if (!op) return Array.isArray(logic) ? `[${logic.map((x) => show(x)).join(', ')}]` : JSON.stringify(logic) ?? 'null';
  const { name, args } = op;
  let text: string;
  if (name === 'var') {
    const [v, fallback] = args;
    return typeof v === 'string' || typeof v === 'number' ? `${v === '' ? 'var("")' : v}${fallback !== undefined ? ` ?? ${show(fallback)}` : ''}` : `var(${show(v)})`;
  } else if (INFIX.has(name) && args.length === 2) text = `${show(args[0], true)} ${name} ${show(args[1], true)}`;
  else if ((name === '<' || name === '<=') && args.length === 3) text = args.map((a) => show(a, true)).join(` ${name} `);
  else if ((name === 'and' || name === 'or') && args.length > 0) text = args.map((a) => show(a, true)).join(` ${name} `);
  else if ((name === '!' || name === '!!') && args.length === 1) return `${name}${show(args[0], true)}`;
  else return `${name}(${args.map((a) => show(a)).join(', ')})`;
  return nested ? `(${text})` : text;
}

const INFIX = new Set(['==', '===', '!=', '!==', '>', '>=', '<', '<=', 'in', '+', '-', '*', '/', '%']);
// Their later operands are evaluated for each item of a list, with the item as the data.
const PER_ITEM = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);

/** The variables an expression reads from the payload, in order, once each. */
function variables(logic: unknown): string[] {
  const out = new Set<string>();
  const walk = (x: unknown) => {
    const op = operation(x);
    if (!op) {
      if (Array.isArray(x)) x.forEach(walk);
      return;
    }
    if (op.name === 'var') {
      const v = op.args[0];
      if (typeof v === 'string' || typeof v === 'number') out.add(String(v));
      return;
    }
    (PER_ITEM.has(op.name) ? op.args.slice(0, 1) : op.args).forEach(walk);
  };
  walk(logic);
  return [...out];
}

/** A variable as json-logic reads it (dot-separated), telling a missing field from a null one. */
function seen(name: string, context: unknown): SeenValue {
  if (name === '') return { name, value: context, missing: false };
  let value: unknown = context;
  for (const key of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return { name, value: null, missing: true };
    value = (value as Record<string, unknown>)[key];
  }
  return { name, value, missing: false };
}

function operation(logic: unknown): { name: string; args: unknown[]; argPath: (i: number) => Path } | undefined {
  if (logic === null || typeof logic !== 'object' || Array.isArray(logic)) return undefined;
  const keys = Object.keys(logic);
  if (keys.length !== 1) return undefined;
  const name = keys[0]!;
  const raw = (logic as Record<string, unknown>)[name];
  const list = Array.isArray(raw);
  return { name, args: list ? raw : [raw], argPath: (i) => (list ? [name, i] : [name]) };
}

function truthy(logic: unknown, context: unknown): boolean {
  try {
    return jsonLogic.truthy(jsonLogic.apply(logic as Logic, context));
  } catch {
    return false;
  }
}

/** `data.rates.increased > 50 is false (data.rates.increased = 14)` */
export function formatFalsePart(part: FalsePart): string {
  const values = part.values.map((v) => (v.missing ? `${v.name || 'the payload'} is missing` : `${v.name || 'the payload'} = ${brief(v.value)}`));
  return `${part.path}: ${part.expression} is false${values.length ? ` (${values.join(', ')})` : ''}`;
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
