import type { Plan } from '../deliver/plan.ts';
import type { EnrichmentEntry } from '../enrich/enricher.ts';

/**
 * The durable record of every received event and every delivery it produced. One interface, one
 * driver per runtime (SQLite on Node); every method may be asynchronous.
 */

/** An event ready to be committed together with its planned deliveries. */
export interface NewEvent {
  readonly id: string;
  readonly eventId: string;
  readonly objectId: string;
  readonly receivedAt: number;
  readonly raw: string;
  /** Canonical JSON of the envelope, and its hash: for recognising the same payload posted twice. */
  readonly canonical: string;
  readonly fingerprint: string;
}

/** A committed event waiting to be routed. */
export interface UnroutedEvent {
  readonly id: string;
  readonly raw: string;
  readonly receivedAt: number;
}

/** What routing decided for a committed event. */
export interface Routing {
  readonly id: string;
  readonly receivedAt: number;
  readonly plan: Plan;
  /** What was fetched from the VCS CoreAPI for it, and why anything was not. */
  readonly enrichment?: readonly EnrichmentEntry[];
}

export interface AcceptOutcome {
  /** Set when the same payload was received within the idempotency window: nothing was queued. */
  readonly duplicateOf?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DueDelivery {
  readonly id: number;
  readonly eventId: string;
  readonly rule: string;
  readonly destination: string;
  readonly message: unknown;
  readonly attempts: number;
  readonly createdAt: number;
}

/** The outcome of one attempt, with the state it leads to. */
export interface AttemptRecord {
  readonly deliveryId: number;
  readonly at: number;
  readonly ok: boolean;
  readonly detail: string;
  readonly status: DeliveryStatus;
  /** When pending: when to try again. */
  readonly nextAt?: number;
}

/** How an event stands, derived from its deliveries. */
export type EventStatus = 'received' | 'delivered' | 'pending' | 'failed' | 'dead' | 'unrouted' | 'duplicate';

export interface EventSummary {
  readonly id: string;
  readonly eventId: string;
  readonly objectId: string;
  readonly receivedAt: number;
  readonly status: EventStatus;
  readonly deliveries: number;
}

export interface DeliveryDetail {
  readonly id: number;
  readonly rule: string;
  readonly destination: string;
  readonly type: string;
  readonly status: DeliveryStatus;
  readonly message: unknown;
  readonly renderError?: string;
  readonly attempts: ReadonlyArray<{ at: number; ok: boolean; detail: string }>;
  readonly nextAt?: number;
  readonly lastError?: string;
}

/** Everything known about one event: why it was, or was not, sent. */
export interface Explanation extends EventSummary {
  readonly payload: unknown;
  readonly duplicateOf?: string;
  readonly matched: readonly string[];
  readonly skipped: ReadonlyArray<{ rule: string; reason: string }>;
  readonly deliveryDetails: readonly DeliveryDetail[];
  /** Present when a rule asked for details from the VCS CoreAPI. */
  readonly enrichment?: readonly EnrichmentEntry[];
}

export interface EventFilter {
  readonly status?: EventStatus;
  readonly since?: number;
  readonly limit?: number;
}

export interface Store {
  /** Commits a batch of received events in one transaction (group commit). */
  accept(events: readonly NewEvent[], idempotencyWindowMs: number): Promise<AcceptOutcome[]>;
  /** Committed events not yet routed, oldest first. */
  unrouted(limit: number): Promise<UnroutedEvent[]>;
  /** Records routing decisions and queues their deliveries, in one transaction; the new deliveries' ids. */
  route(routings: readonly Routing[], now: number): Promise<number[]>;
  /** Pending deliveries of a destination that are due, oldest first, leaving out `skip`. */
  due(destination: string, now: number, limit: number, skip: ReadonlySet<number>): Promise<DueDelivery[]>;
  /** When the next pending delivery falls due, if any. */
  nextDue(): Promise<number | undefined>;
  /** The destinations that have pending deliveries (some may have left the rules since). */
  pendingDestinations(): Promise<string[]>;
  /** Records attempts and their resulting states in one transaction. */
  record(attempts: readonly AttemptRecord[]): Promise<void>;
  events(filter: EventFilter): Promise<EventSummary[]>;
  explain(id: string): Promise<Explanation | undefined>;
  /** Queues an event's failed or dead deliveries again, as new; their ids (undefined: no such event). */
  replay(id: string, now: number): Promise<number[] | undefined>;
  /** Queues every dead delivery again; their ids. */
  replayDead(now: number): Promise<number[]>;
  /** Deletes events older than `before` whose deliveries are all done (dead ones are kept). */
  prune(before: number): Promise<number>;
  /** Deletes dead deliveries and events left with nothing pending. */
  purgeDead(): Promise<number>;
  close(): Promise<void>;
}
