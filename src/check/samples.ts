import { canonicalEventId, EVENT_IDS, EVENTS } from '../events/catalog.ts';
import type { VcsEvent } from '../events/envelope.ts';
import { samplePayload } from '../events/samples.ts';
import { ANY } from './paths.ts';

/** A payload templates and conditions are checked against. */
export interface Sample {
  /** The canonical id it is routed by. */
  readonly eventId: string;
  readonly envelope: VcsEvent;
  /** Where it came from, for messages: "clients.create", or "clients.create (payloads/x.json)". */
  readonly label: string;
  /** A stand-in for an event the catalog has no sample of: its data's shape is unknown. */
  readonly placeholder?: boolean;
}

/** The built-in sample of every event. */
export function builtInSamples(): Sample[] {
  return EVENT_IDS.map((id) => ({ eventId: id, envelope: samplePayload(id)!, label: id }));
}

/** A payload of its own, labelled with where it came from. */
export function sampleFrom(envelope: VcsEvent, source: string): Sample {
  const eventId = canonicalEventId(envelope.event.events_id);
  return { eventId, envelope, label: `${eventId} (${source})` };
}

/** A stand-in for an event id newer than the catalog: its data's shape is unknown. */
export function placeholderSample(eventId: string): Sample {
  return { eventId, envelope: { event: { dt: '2022-01-24T15:44:47+00:00', events_id: eventId, object_id: 1 }, data: {} }, label: eventId, placeholder: true };
}

// An update carries the id and the fields that changed, which may be any field of the object
// (README, "Events"); custom fields are whatever the billing's operator defined.
const MAY_HAVE: Record<string, (data: Record<string, unknown>) => Record<string, unknown>> = {
  'clients.update': (d) => ({ ...dataOf('clients.create'), ...d }),
  'clients.accounts.update': (d) => ({ ...dataOf('clients.accounts.create'), ...d }),
  'clients.custom_fields.update': (d) => ({ ...d, custom_fields: ANY }),
};

const dataOf = (id: string) => (EVENTS[id]!.sample as { data: Record<string, unknown> }).data;

/**
 * What CoreAPI enrichment (`client`, `rate_table`, `enrichment`), a throttle (`held`) and an
 * incident (`incident`) may add beside `event` and `data`: not in any sample, so not checked.
 */
export const ENRICHMENT_ROOTS: readonly string[] = ['client', 'rate_table', 'enrichment', 'held', 'incident'];

/**
 * What a sample says a template or condition can read: `{event, data}`, with `data` as wide as
 * the event may carry, and unknown for events the catalog has no sample of; what enrichment adds
 * is not checked.
 */
export function shapeOf(sample: Sample): Record<string, unknown> {
  const data = sample.placeholder ? ANY : (MAY_HAVE[sample.eventId]?.(sample.envelope.data) ?? sample.envelope.data);
  return { event: sample.envelope.event, data, ...Object.fromEntries(ENRICHMENT_ROOTS.map((r) => [r, ANY])) };
}
