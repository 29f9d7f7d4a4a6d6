/** `${NAME}` or `${NAME:-default}`; `$${` escapes a literal `${`. */
const REF = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces environment references in every string of a value. Unset names without a default become
 * empty and are reported in `unset`, so a missing secret disables a destination instead of leaking
 * a literal "${...}" into an address.
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  unset: Set<string>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (whole, escaped: string, name: string, fallback?: string) => {
      if (escaped) return whole.slice(1);
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      unset.add(name);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => substituteEnv(v, env, unset));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, unset)]));
  }
  return value;
}

/** The variables a string refers to; `fallback` is set for `${NAME:-default}`. */
export function envReferences(text: string): Array<{ name: string; fallback?: string }> {
  return [...text.matchAll(REF)].filter((m) => !m[1]).map((m) => ({ name: m[2]!, ...(m[3] !== undefined ? { fallback: m[3] } : {}) }));
}
