import { z } from 'zod';
import type { ChannelKind } from '../channels/channel.ts';
import { EVENT_ALIASES, EVENT_IDS } from '../events/catalog.ts';
import { destinationHead, incidentSchema, ruleSchema, rulesFileSchema, templateSource } from './schema.ts';

type Kinds = ReadonlyMap<string, ChannelKind<unknown, unknown>>;

/** The file name the shipped rules.yaml points editors at. */
export const JSON_SCHEMA_FILE = 'rules.schema.json';

/**
 * A JSON Schema of rules.yaml for editors (completion, underlined keys), built from the very zod
 * schemas the loader validates with: the file's outline, a rule, each channel's settings and
 * template parts. The loader checks the same file in pieces, to report every mistake at once; here
 * the pieces are put back together into one schema.
 */
export function rulesJsonSchema(kinds: Kinds): Record<string, unknown> {
  const describe = <T extends z.ZodType>(schema: T, like: z.ZodType) => (like.description ? schema.describe(like.description) : schema);
  const rule = ruleSchema.extend({
    events: describe(oneOrMany(eventId()), ruleSchema.shape.events),
    template: describe(templates(kinds).optional(), ruleSchema.shape.template),
    digest: describe(templates(kinds).optional(), ruleSchema.shape.digest),
  });
  const file = rulesFileSchema
    .extend({
      partials: z.record(z.string(), templateSource).optional().describe('Named templates usable in any template as {{> name}}.'),
      destinations: z.record(z.string(), destination(kinds)).describe('Named places to send to.'),
      incidents: z.record(z.string(), incidentSchema).optional().describe(rulesFileSchema.shape.incidents.description ?? ''),
      rules: z.array(rule).describe('Evaluated top to bottom for every event; the first rule that matches ends the evaluation unless it says `continue: true`.'),
    })
    .describe('Switchboard rules.yaml: which JeraSoft VCS events go where, and what the message says.');
  return z.toJSONSchema(file, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
}

/** The schema as the committed file holds it. */
export function rulesJsonSchemaText(kinds: Kinds): string {
  return `${JSON.stringify(rulesJsonSchema(kinds), null, 2)}\n`;
}

const oneOrMany = (item: z.ZodType) => z.union([item, z.array(item).min(1)]);

/** Known ids are offered for completion; any other string stays valid (patterns, extra_events). */
function eventId(): z.ZodType {
  const ids = [...EVENT_IDS, ...Object.keys(EVENT_ALIASES)] as [string, ...string[]];
  return z.union([
    z.enum(ids).describe('A VCS event id.'),
    z.string().min(1).describe('A pattern where * stands for any run of characters, or an id listed under extra_events.'),
  ]);
}

/** One object per channel type, told apart by `type`: the keys every destination has, and that channel's own settings. */
function destination(kinds: Kinds): z.ZodType {
  const options = [...kinds.values()].map((kind) => {
    const settings = kind.settings instanceof z.ZodObject ? (kind.settings.shape as z.ZodRawShape) : {};
    return z.strictObject({ ...destinationHead.shape, type: z.literal(kind.type).describe(`A ${kind.type} destination.`), ...settings });
  });
  return options.length === 1 ? options[0]! : z.union(options as unknown as [z.ZodType, z.ZodType]);
}

/** Per channel type, the template parts it has. */
function templates(kinds: Kinds) {
  const byType = [...kinds.values()].map((kind) => {
    const parts = Object.entries(kind.parts).map(([part, p]) => [part, templateSource.optional().describe(p.description)] as const);
    return [kind.type, z.strictObject(Object.fromEntries(parts)).optional()] as const;
  });
  return z.strictObject(Object.fromEntries(byType));
}
