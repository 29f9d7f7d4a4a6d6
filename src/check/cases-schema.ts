/**
 * The test-cases file that `switchboard test --cases` runs (rules.test.yaml), and its JSON Schema
 * for editors, built from the same zod schemas.
 */
import { z } from 'zod';
import { SAMPLE_IDS } from '../events/samples.ts';

const names = z.array(z.string().min(1));

const caseFields = {
  name: z.string().min(1).optional().describe('What the case is about; shown in the results.'),
  event: z.string().min(1).optional().describe('An event id: its built-in sample is the payload.'),
  payload: z
    .union([z.string().min(1), z.record(z.string(), z.unknown())])
    .optional()
    .describe('A payload file (relative to this file), or the payload itself.'),
  data: z.record(z.string(), z.unknown()).optional().describe("Fields merged into the payload's data."),
  expect: z
    .strictObject({
      rules: names.optional().describe('The rules that take the event, [] for none.'),
      destinations: names.optional().describe('The destinations that get a message, [] for none.'),
    })
    .refine((e) => e.rules !== undefined || e.destinations !== undefined, { message: 'expect needs "rules", "destinations" or both' })
    .describe('What must happen.'),
};

export const caseSchema = z
  .strictObject(caseFields)
  .refine((c) => (c.event === undefined) !== (c.payload === undefined), { message: 'a case needs either "event" (a built-in sample) or "payload", not both' });

export type Case = z.output<typeof caseSchema>;

const CASES_DESCRIPTION = 'The cases, run in order.';

/** A test-cases file. Its cases are checked one by one (caseSchema), to report every mistake. */
export const casesFileSchema = z.strictObject({ cases: z.array(z.unknown()).min(1).describe(CASES_DESCRIPTION) });

/** The file name the shipped rules.test.yaml points editors at. */
export const CASES_JSON_SCHEMA_FILE = 'cases.schema.json';

/**
 * The JSON Schema of a test-cases file, as the committed file holds it. The two rules a case's keys
 * must follow together (`event` or `payload`; `rules` or `destinations`) are the loader's to report.
 */
export function casesJsonSchemaText(): string {
  // Only ids with a built-in sample: the loader refuses others (with a suggestion).
  const event = z.enum(SAMPLE_IDS as [string, ...string[]]);
  const item = z.strictObject({ ...caseFields, event: event.optional().describe(caseFields.event.description ?? '') });
  const file = z
    .strictObject({ cases: z.array(item).min(1).describe(CASES_DESCRIPTION) })
    .describe('Switchboard test cases: payloads, and what rules.yaml must do with them (`switchboard test --cases`).');
  return `${JSON.stringify(z.toJSONSchema(file, { io: 'input', target: 'draft-7' }), null, 2)}\n`;
}
