/** `npm run schema`: writes rules.schema.json and cases.schema.json from the schemas the loaders validate with. */
import { writeFileSync } from 'node:fs';
import { channelKinds } from '../src/channels/index.ts';
import { CASES_JSON_SCHEMA_FILE, casesJsonSchemaText } from '../src/check/cases-schema.ts';
import { JSON_SCHEMA_FILE, rulesJsonSchemaText } from '../src/config/json-schema.ts';

for (const [file, text] of [
  [JSON_SCHEMA_FILE, rulesJsonSchemaText(channelKinds())],
  [CASES_JSON_SCHEMA_FILE, casesJsonSchemaText()],
] as const) {
  writeFileSync(new URL(`../${file}`, import.meta.url), text);
  console.log(`wrote ${file}`);
}
