import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { channelKinds } from '../../src/channels/index.ts';
import { JSON_SCHEMA_FILE, rulesJsonSchema, rulesJsonSchemaText } from '../../src/config/json-schema.ts';

const validate = new Ajv({ allErrors: true, strict: false }).compile(rulesJsonSchema(channelKinds()));
const yamlOf = (path: string): unknown => parse(readFileSync(path, 'utf8'));
/** ajv's complaints as "path: message", the way an editor would underline them. */
const complaints = (path: string) => (validate(yamlOf(path)) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

describe('rules.schema.json', () => {
  it('is the schema generated from the loader\'s own schemas (run `npm run schema` after changing them)', () => {
    expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(rulesJsonSchemaText(channelKinds()));
  });

  it('is what the shipped rules.yaml points editors at', () => {
    expect(readFileSync('rules.yaml', 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=./${JSON_SCHEMA_FILE}`);
  });

  it('accepts the shipped rules.yaml and the valid fixtures', () => {
    for (const file of ['rules.yaml', 'test/fixtures/config/env.yaml', 'test/fixtures/rules/operators-routing.yaml', 'test/fixtures/rules/crash.yaml']) {
      expect(complaints(file), file).toEqual([]);
    }
  });

  it('underlines an unknown key in a rule, as the loader reports it', () => {
    expect(complaints('test/fixtures/config/unknown-rule-key.yaml')).toContain('/rules/0 must NOT have additional properties');
  });

  it('underlines an unknown destination type and a misspelt setting', () => {
    expect(complaints('test/fixtures/config/unknown-destination-type.yaml')).toContain('/destinations/rate_desk/type must be equal to constant');
    expect(complaints('test/fixtures/config/several-mistakes.yaml')).toContain('/destinations/rate_desk must NOT have additional properties');
  });

  it('underlines a template part the channel does not have', () => {
    expect(complaints('test/fixtures/config/unknown-template-part.yaml')).toContain('/rules/0/template/slack must NOT have additional properties');
  });

  it('offers every known event id for completion, and still takes patterns', () => {
    const schema = JSON.parse(readFileSync(JSON_SCHEMA_FILE, 'utf8'));
    const events = JSON.stringify(schema.properties.rules.items.properties.events);
    for (const id of ['clients.balance_zero', 'email_rates_manager.file_processing_error', 'clients.custom_fields_update']) expect(events).toContain(`"${id}"`);
    expect(validate({ destinations: {}, rules: [{ name: 'r', events: 'clients.*', to: 'x' }] })).toBe(true);
  });
});
