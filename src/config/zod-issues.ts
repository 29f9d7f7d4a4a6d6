import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import type { ConfigError, Locator, Path } from './errors.ts';

/**
 * Validates `value` against `schema`; on failure, adds its errors (positioned under `prefix`) to
 * `errors` and returns undefined.
 */
export function check<T>(schema: z.ZodType<T>, value: unknown, prefix: Path, at: Locator, errors: ConfigError[]): T | undefined {
  // reportInput: the messages show what was found, and "missing" can be told apart from "wrong".
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) errors.push(...issueErrors(issue, schema, prefix, at));
  return undefined;
}

/** zod's wording ("Invalid input") says neither what was expected nor what was found; ours says both. */
function issueErrors(issue: z.core.$ZodIssue, schema: z.ZodType, prefix: Path, at: Locator): ConfigError[] {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = Object.keys(fieldsAt(schema, issue.path as Path));
      const expected = allowed.length > 0 ? `; expected one of: ${allowed.join(', ')}` : '';
      return issue.keys.map((key) => at.error([...path, key], `unknown key "${key}"${didYouMean(key, allowed)}${expected}`, true));
    }
    case 'invalid_type':
    case 'invalid_union': {
      // YAML has no undefined, so no input means no key.
      if (input === undefined) {
        const key = path[path.length - 1]!;
        const about = fieldsAt(schema, issue.path.slice(0, -1) as Path)[key]?.description?.replace(/\.$/, '');
        return [at.error(path, `missing required key "${key}"${about ? ` (${about[0]!.toLowerCase()}${about.slice(1)})` : ''}`)];
      }
      if (issue.code === 'invalid_type') return [at.error(path, `expected ${typeName(issue.expected)}, got ${shown(input)}`)];
      // A branch whose type fits got further than the others: its own issues are the useful ones.
      const fitting = issue.errors.find((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (fitting) {
        return fitting.flatMap((i) => issueErrors({ ...i, path: [...issue.path, ...i.path] }, schema, prefix, at));
      }
      const types = issue.errors.flatMap((branch) => branch.map((i) => (i.code === 'invalid_type' ? typeName(i.expected) : '')));
      return [at.error(path, `expected ${[...new Set(types.filter(Boolean))].join(' or ')}, got ${shown(input)}`)];
    }
    case 'too_small':
      if (issue.minimum === 1 && issue.origin === 'array') return [at.error(path, 'expected at least one item, got an empty list')];
      if (issue.minimum === 1 && issue.origin === 'string') return [at.error(path, 'expected a non-empty string')];
      if (issue.origin === 'number') return [at.error(path, `expected a number of at least ${String(issue.minimum)}, got ${shown(input)}`)];
      return [at.error(path, issue.message)];
    case 'too_big':
      if (issue.origin === 'number') return [at.error(path, `expected a number of at most ${String(issue.maximum)}, got ${shown(input)}`)];
      return [at.error(path, issue.message)];
    case 'invalid_value': {
      const values = issue.values.map(String);
      const found = String(input);
      return [at.error(path, `unknown value "${found}"${didYouMean(found, values)}; expected one of: ${values.join(', ')}`)];
    }
    default:
      return [at.error(path, issue.message)];
  }
}

/** The fields of the object schema at `path`: zod's issues name neither the allowed keys nor what they are for. */
function fieldsAt(schema: z.ZodType, path: Path): Record<string, z.ZodType> {
  const [head, ...rest] = path;
  if (schema instanceof z.ZodObject) {
    if (head === undefined) return schema.shape;
    const field = schema.shape[head];
    return field ? fieldsAt(field, rest) : {};
  }
  if (schema instanceof z.ZodArray) return fieldsAt(schema.element as z.ZodType, rest);
  if (schema instanceof z.ZodRecord) return fieldsAt(schema.valueType as z.ZodType, rest);
  if (schema instanceof z.ZodUnion) return Object.assign({}, ...schema.options.map((o) => fieldsAt(o as z.ZodType, path)));
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) return fieldsAt(schema.unwrap() as z.ZodType, path);
  return {};
}

// In the words of YAML, which is what the user wrote.
const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true/false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

const typeName = (expected: string) => TYPE_NAMES[expected] ?? expected;

function shown(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
