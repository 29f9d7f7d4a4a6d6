import { z } from 'zod';
import { ENRICH_TARGETS } from '../enrich/targets.ts';

/** A template: inline Handlebars source, or `{ file: templates/x.hbs }` relative to rules.yaml. */
export const templateSource = z.union([z.string(), z.strictObject({ file: z.string().min(1) })]);

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** `enrich: client` or `enrich: [client, rate_table]`: what to fetch from the VCS CoreAPI. */
export const enrichSchema = z
  // The list first: a mistake inside a list is then reported at its item.
  .union([z.array(z.enum(ENRICH_TARGETS)), z.enum(ENRICH_TARGETS)])
  .optional()
  .describe('Objects to fetch from the VCS CoreAPI before conditions and templates run: client, rate_table.');

export const ruleSchema = z.strictObject({
  name: z.string().min(1).describe('Shown in logs, `switchboard test` and `explain`.'),
  events: oneOrMany.describe('Event ids or patterns such as "email_rates_manager.*".'),
  when: z
    .union([z.boolean(), z.record(z.string(), z.unknown())])
    .optional()
    .describe('A JSON-logic condition over {event, data}.'),
  to: oneOrMany.describe('Destination names.'),
  template: z
    .record(z.string(), z.record(z.string(), templateSource))
    .optional()
    .describe('Per channel type (slack, email, webhook), its template parts.'),
  continue: z.boolean().default(false).describe('Keep evaluating later rules after this one matched.'),
  enrich: enrichSchema,
});

export const destinationHead = z.looseObject({ type: z.string(), enrich: enrichSchema });

/**
 * The file's outline. Partials, destinations and rules are validated one at a time by the loader,
 * so that a mistake in one does not hide the mistakes in the others.
 */
export const rulesFileSchema = z.strictObject({
  settings: z
    .strictObject({
      timezone: z.string().default('UTC').describe('IANA time zone for dates in messages.'),
    })
    .default({ timezone: 'UTC' }),
  extra_events: z.array(z.string()).default([]).describe('Event ids newer than this release knows.'),
  partials: z.record(z.string(), z.unknown()).default({}),
  destinations: z.record(z.string(), z.unknown()),
  rules: z.array(z.unknown()),
});

/** What can still be checked in a file whose outline is wrong: each section that is right on its own. */
export const rulesFileSalvage = z
  .object({
    settings: rulesFileSchema.shape.settings.catch({ timezone: 'UTC' }),
    extra_events: rulesFileSchema.shape.extra_events.catch([]),
    partials: rulesFileSchema.shape.partials.catch({}),
    destinations: rulesFileSchema.shape.destinations.catch({}),
    rules: rulesFileSchema.shape.rules.catch([]),
  })
  .catch({ settings: { timezone: 'UTC' }, extra_events: [], partials: {}, destinations: {}, rules: [] });

export type RulesFile = z.output<typeof rulesFileSchema>;
export type RuleSource = z.output<typeof ruleSchema>;
