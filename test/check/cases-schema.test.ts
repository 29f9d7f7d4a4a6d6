import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CASES_JSON_SCHEMA_FILE, casesJsonSchemaText } from '../../src/check/cases-schema.ts';

const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(casesJsonSchemaText()));
/** ajv's complaints as "path: message", the way an editor would underline them. */
const complaints = (path: string) => (validate(parse(readFileSync(path, 'utf8'))) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

describe('cases.schema.json', () => {
  it("is the schema generated from the test-cases loader's own schemas (run `npm run schema` after changing them)", () => {
    expect(readFileSync(CASES_JSON_SCHEMA_FILE, 'utf8')).toBe(casesJsonSchemaText());
  });

  it('is what the shipped rules.test.yaml points editors at, and accepts it and the valid fixtures', () => {
    expect(readFileSync('rules.test.yaml', 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=./${CASES_JSON_SCHEMA_FILE}`);
    for (const file of ['rules.test.yaml', 'test/fixtures/cases/failing.test.yaml', 'test/fixtures/cases/render.test.yaml']) expect(complaints(file), file).toEqual([]);
  });

  it('underlines a misspelt key and an event id without a sample', () => {
    const mistakes = complaints('test/fixtures/cases/mistakes.test.yaml');
    expect(mistakes).toContain('/cases/1/event must be equal to one of the allowed values');
    expect(mistakes).toContain('/cases/5 must NOT have additional properties');
  });
});
