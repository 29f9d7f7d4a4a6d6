/** `npm run schema`: writes rules.schema.json from the schemas the loader validates with. */
import { writeFileSync } from 'node:fs';
import { channelKinds } from '../src/channels/index.ts';
import { JSON_SCHEMA_FILE, rulesJsonSchemaText } from '../src/config/json-schema.ts';

writeFileSync(new URL(`../${JSON_SCHEMA_FILE}`, import.meta.url), rulesJsonSchemaText(channelKinds()));
console.log(`wrote ${JSON_SCHEMA_FILE}`);
