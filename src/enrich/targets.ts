import { EVENTS } from '../events/catalog.ts';
import type { VcsEvent } from '../events/envelope.ts';

/**
 * What a rule may ask to be enriched with (`enrich: [client]`): objects fetched from the VCS CoreAPI
 * and exposed to conditions and templates under the same name (`{{client.name}}`).
 */
export const ENRICH_TARGETS = ['client', 'rate_table'] as const;
export type EnrichTarget = (typeof ENRICH_TARGETS)[number];

export interface TargetSpec {
  /** In messages: "client #12", "rate table #74". */
  readonly label: string;
  /** The CoreAPI JSON-RPC method; called with `{id}`. */
  readonly method: string;
  /** Which events can name one, in words, for `switchboard check`. */
  readonly carriedBy: string;
  /**
   * The object an event names, undefined when it names none. `own`: the event reports a change of
   * this very object (a client's balance event names the client), so a cached copy is out of date by
   * definition and it is fetched afresh.
   */
  locate(eventId: string, envelope: VcsEvent): { id: unknown; own: boolean } | undefined;
  /** Whether an event with this id can name the object (unknown, newer ids: assumed so). */
  appliesTo(eventId: string): boolean;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// Account and subscription events are about another object that belongs to a client (data.clients_id).
const CLIENT_CHILD = /^clients\.(accounts|subscriptions)\./;
const isKnown = (eventId: string) => eventId in EVENTS;

export const TARGETS: Readonly<Record<EnrichTarget, TargetSpec>> = {
  client: {
    label: 'client',
    method: 'clients.get',
    carriedBy: 'clients.* events but clients.accounts.delete',
    locate(eventId, { event, data }) {
      if (eventId.startsWith('clients.') && !CLIENT_CHILD.test(eventId)) return { id: event.object_id, own: true };
      if (present(data.clients_id)) return { id: data.clients_id, own: false };
      return undefined;
    },
    // A deleted account's event carries nothing but its own id (README, Events).
    appliesTo: (eventId) => (eventId.startsWith('clients.') && eventId !== 'clients.accounts.delete') || !isKnown(eventId),
  },
  rate_table: {
    label: 'rate table',
    method: 'rates.tables.get',
    carriedBy: 'importd.* and email_rates_manager.import',
    // The import result names its rate table by id; an e-mail import's queue item too. The rate
    // tables listed by no_attachments and file_processing_error come with their names already.
    locate(_eventId, { data }) {
      if (present(data.rate_tables_id)) return { id: data.rate_tables_id, own: false };
      if (isObject(data.queue) && present(data.queue.rate_tables_id)) return { id: data.queue.rate_tables_id, own: false };
      return undefined;
    },
    appliesTo: (eventId) => eventId.startsWith('importd.') || eventId === 'email_rates_manager.import' || !isKnown(eventId),
  },
};

/** A CoreAPI id is a positive whole number, sent as a number or a numeric string. */
export function validId(id: unknown): string | undefined {
  const s = typeof id === 'number' ? String(id) : typeof id === 'string' ? id.trim() : '';
  return /^[1-9]\d{0,15}$/.test(s) ? s : undefined;
}
