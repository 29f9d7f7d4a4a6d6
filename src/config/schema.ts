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

/** `30s`, `5m`, `1h`, `1h30m`, `0`; a bare number is seconds. Checked by the loader (parseDuration). */
export const durationSchema = z.union([z.string().min(1), z.number().min(0)]);

/** Days and hours, in a time zone, when a destination may be told things. */
export const windowSource = z.strictObject({
  days: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Days it opens on: mon, tue, ... sun, or ranges such as mon-fri.'),
  hours: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('HH:MM-HH:MM ranges, such as 08:00-19:00; 22:00-06:00 runs past midnight.'),
  timezone: z.string().optional().describe('IANA time zone; default settings.timezone.'),
  except: z
    .union([z.string().min(1), z.array(z.string().min(1))])
    .optional()
    .describe('Local dates it stays shut on, such as public holidays: YYYY-MM-DD, or MM-DD for every year.'),
});

/** A window by name (settings.windows), written out, or `always` (no window: bypass the destination's). */
export const windowRef = z
  .union([z.string().min(1), windowSource])
  .optional()
  .describe('A send window: a name from settings.windows, the window itself, or "always" to send at any time.');

const keyPaths = z.union([z.string().min(1), z.array(z.string().min(1))]);

export const throttleSchema = z
  .strictObject({
    key: keyPaths.default(['event.object_id']).describe('Paths whose values make the key, e.g. event.object_id: one count per client.'),
    max: z.number().int().min(1).default(1).describe('Messages per key and period.'),
    per: durationSchema.describe('The period, e.g. 1h.'),
  })
  .optional()
  .describe('At most `max` messages per key every `per`; the next message says how many were held back.');

export const incidentSchema = z.strictObject({
  opens: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Events that open the incident, e.g. clients.balance_zero.'),
  closes: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Events that close it, e.g. clients.balance_notzero.'),
  key: keyPaths.default(['event.object_id']).describe('Paths whose values tell incidents apart; default event.object_id.'),
  flap: durationSchema.default(0).describe('A close is held this long; reopening within it damps both into the open incident.'),
});

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
  group_by: keyPaths
    .optional()
    .describe('Group this rule\'s messages by these paths (e.g. data.credentials.login): one message, or one digest, per group and interval.'),
  group_wait: durationSchema.optional().describe('How long a new group waits before its first message; default 0s (at once).'),
  group_interval: durationSchema.optional().describe('The least time between two messages of a group; default 5m. Events meanwhile make one digest.'),
  digest: z
    .record(z.string(), z.record(z.string(), templateSource))
    .optional()
    .describe('Per channel type, the template parts of a digest (a message about several grouped events).'),
  throttle: throttleSchema,
  window: windowRef,
  incident: z.string().min(1).optional().describe('The name of an incident under `incidents:` this rule\'s events open or close.'),
});

export const destinationHead = z.looseObject({ type: z.string(), enrich: enrichSchema, window: windowRef });

/**
 * The file's outline. Partials, destinations and rules are validated one at a time by the loader,
 * so that a mistake in one does not hide the mistakes in the others.
 */
export const rulesFileSchema = z.strictObject({
  settings: z
    .strictObject({
      timezone: z.string().default('UTC').describe('IANA time zone for dates in messages and send windows.'),
      windows: z.record(z.string(), windowSource).default({}).describe('Named send windows, for destinations and rules to refer to.'),
    })
    .default({ timezone: 'UTC', windows: {} }),
  extra_events: z.array(z.string()).default([]).describe('Event ids newer than this release knows.'),
  partials: z.record(z.string(), z.unknown()).default({}),
  destinations: z.record(z.string(), z.unknown()),
  incidents: z.record(z.string(), z.unknown()).default({}).describe('Pairs of events that make one story, e.g. balance zero and recovered.'),
  rules: z.array(z.unknown()),
});

/** What can still be checked in a file whose outline is wrong: each section that is right on its own. */
export const rulesFileSalvage = z
  .object({
    settings: rulesFileSchema.shape.settings.catch({ timezone: 'UTC', windows: {} }),
    extra_events: rulesFileSchema.shape.extra_events.catch([]),
    partials: rulesFileSchema.shape.partials.catch({}),
    destinations: rulesFileSchema.shape.destinations.catch({}),
    incidents: rulesFileSchema.shape.incidents.catch({}),
    rules: rulesFileSchema.shape.rules.catch([]),
  })
  .catch({ settings: { timezone: 'UTC', windows: {} }, extra_events: [], partials: {}, destinations: {}, incidents: {}, rules: [] });

export type RulesFile = z.output<typeof rulesFileSchema>;
export type RuleSource = z.output<typeof ruleSchema>;
