/** A variable a JSON-logic condition reads, and where it is written under `when`. */
export interface LogicVar {
  readonly name: string;
  readonly path: readonly (string | number)[];
}

// Their later operands run once per item of a list, with the item (not the event) as the data.
const PER_ITEM = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);

/** Every `{var: "a.b"}` (and `{var: ["a.b", default]}`) that reads the event, not a list item. */
export function logicVars(logic: unknown, path: (string | number)[] = []): LogicVar[] {
  if (Array.isArray(logic)) return logic.flatMap((x, i) => logicVars(x, [...path, i]));
  if (logic === null || typeof logic !== 'object') return [];
  const entries = Object.entries(logic);
  if (entries.length !== 1) return [];
  const [op, arg] = entries[0]!;
  if (op === 'var') {
    if (typeof arg === 'string' && arg !== '') return [{ name: arg, path: [...path, 'var'] }];
    if (Array.isArray(arg) && typeof arg[0] === 'string' && arg[0] !== '') return [{ name: arg[0], path: [...path, 'var', 0] }];
    return [];
  }
  if (PER_ITEM.has(op) && Array.isArray(arg)) return logicVars(arg[0], [...path, op, 0]);
  return logicVars(arg, [...path, op]);
}
