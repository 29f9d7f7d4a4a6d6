import jsonLogic from 'json-logic-js';

/** A JSON-logic expression, as written under `when:`. */
export type Logic = jsonLogic.RulesLogic;

// json-logic-js's operators; the library does not export the list.
const OPERATORS = new Set([
  '==', '===', '!=', '!==', '>', '>=', '<', '<=', '!!', '!', '%', 'log', 'in', 'cat', 'substr',
  '+', '*', '-', '/', 'min', 'max', 'merge', 'var', 'missing', 'missing_some',
  'if', '?:', 'and', 'or', 'filter', 'map', 'reduce', 'all', 'none', 'some',
]);

/** The names an operator may have, for did-you-mean suggestions. */
export const OPERATOR_NAMES: readonly string[] = [...OPERATORS];

export interface LogicProblem {
  /** Path below `when`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly operator?: string;
}

/** Every unknown operator and malformed operation in an expression. */
export function checkLogic(logic: unknown, path: (string | number)[] = []): LogicProblem[] {
  if (Array.isArray(logic)) return logic.flatMap((item, i) => checkLogic(item, [...path, i]));
  if (logic === null || typeof logic !== 'object') return [];
  const keys = Object.keys(logic);
  if (keys.length !== 1) {
    return [{ path, message: `a JSON-logic operation is an object with exactly one key (the operator), found ${keys.length}: ${keys.join(', ') || 'none'}` }];
  }
  const op = keys[0]!;
  const problems: LogicProblem[] = OPERATORS.has(op)
    ? []
    : [{ path: [...path, op], message: `unknown JSON-logic operator "${op}"`, operator: op }];
  return [...problems, ...checkLogic((logic as Record<string, unknown>)[op], [...path, op])];
}

/** Evaluates a condition: true, false, or the error it threw (a rule that errors does not match). */
export function evaluate(logic: Logic, data: unknown): { value: boolean } | { error: string } {
  try {
    return { value: jsonLogic.truthy(jsonLogic.apply(logic, data)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
