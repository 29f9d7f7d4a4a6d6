/** Keys of groups, throttles and incidents: the values of paths into a message's context. */

/** The value at a dotted path (`data.credentials.login`, `data.rate_tables.0.id`); undefined when absent. */
export function valueAt(context: unknown, path: string): unknown {
  let v: unknown = context;
  for (const part of path.split('.')) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * The key for a context: the values of `paths`, as JSON (numbers and their strings differ, as
 * VCS's object ids do not: both are kept as text); `label` shows the values that are there.
 */
export function keyOf(paths: readonly string[], context: unknown): { key: string; label: string } {
  const values = paths.map((p) => {
    const v = valueAt(context, p);
    return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
  return { key: JSON.stringify(values), label: values.filter((v): v is string => v !== null).join(', ') };
}
