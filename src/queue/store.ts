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

/** One SQL statement with its positional parameters (the shared SQL of drivers/sql.ts and writes.ts). */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** What routing decided for a committed event. */
export interface Routing {
  readonly id: string;
  readonly receivedAt: number;
  readonly plan: Plan;
  /** What was fetched from the VCS CoreAPI for it, and why anything was not. */
  readonly enrichment?: readonly EnrichmentEntry[];
  /** What its messages were rendered from (`{event, data}` and enrichment), for hold decisions. */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * Changes to throttles and incidents the hold decisions (hold/decide.ts) made on the state they
   * read, each guarded: run in the routing's transaction, which fails with ConflictError when that
   * state changed meanwhile.
   */
  readonly effects?: readonly Statement[];
}

/** What recording routings produced: deliveries to send now, and when held ones fall due. */
export interface Routed {
  /** New deliveries that are pending (sendable). */
  readonly deliveries: number[];
  /** When groups newly waiting, and deliveries held until a time, fall due. */
  readonly releaseAt: number[];
}

/** A write refused because the state it was decided on changed meanwhile; decide again. */
export class ConflictError extends Error {
  constructor(message = 'the state this was decided on changed meanwhile') {
    super(message);
    this.name = 'ConflictError';
  }
}

/** A throttle's counts for one rule, destination and key. */
export interface ThrottleRow {
  readonly rule: string;
  readonly destination: string;
  readonly key: string;
  readonly periodStart: number;
  readonly sent: number;
  readonly held: number;
  readonly heldSince?: number;
  readonly version: number;
}

export type IncidentState = 'open' | 'closing' | 'closed';

/** The latest incident of a name and key. */
export interface IncidentRow {
  readonly name: string;
  readonly key: string;
  readonly state: IncidentState;
  readonly openEvent: string;
  readonly openedAt: number;
  readonly openedDt: string;
  readonly closingUntil?: number;
  readonly flaps: number;
  readonly version: number;
  /** Its closes held for flap damping. */
  readonly heldCloses: number;
  /** The status of each delivery of its opening event, by destination. */
  readonly roots: Readonly<Record<string, DeliveryStatus>>;
}

/** The state hold decisions read. */
export interface HoldSnapshot {
  readonly throttles: readonly ThrottleRow[];
  readonly incidents: readonly IncidentRow[];
}

export interface HoldQuery {
  readonly throttles: ReadonlyArray<{ rule: string; destination: string; key: string }>;
  readonly incidents: ReadonlyArray<{ name: string; key: string }>;
}

/** A group whose messages are due. */
export interface DueGroup {
  readonly id: number;
  readonly rule: string;
  readonly destination: string;
  readonly label: string;
  readonly flushAt: number;
  readonly lastFlushAt?: number;
}

/** A delivery held until a time (a send window, flap damping) that has come. */
export interface DueHeld {
  readonly id: number;
  readonly eventId: string;
  readonly rule: string;
  readonly destination: string;
  readonly hold: string;
  readonly nextAt: number;
}

/** One delivery a group holds, with what its message was rendered from. */
export interface GroupItem {
  readonly id: number;
  readonly eventId: string;
  readonly type: string;
  readonly message: unknown;
  readonly context: Record<string, unknown>;
  readonly createdAt: number;
}

/** What the release step decided for something due; applied atomically, once. */
export type ReleaseAction =
  /** Held deliveries whose time has come: sendable now. */
  | { kind: 'release'; ids: readonly number[] }
  /** A held delivery still outside its send window. */
  | { kind: 'defer'; id: number; until: number; note: string }
  /** A group due outside its send window: it flushes when the window opens. */
  | { kind: 'defer-group'; group: number; seenFlushAt: number; until: number }
  /** A group with nothing left to send: it waits for its next event. */
  | { kind: 'close-group'; group: number; seenFlushAt: number }
  /** A group's one delivery goes as its own message; or several go as `digest`, replacing them. */
  | {
      kind: 'flush';
      group: number;
      seenFlushAt: number;
      intervalMs: number;
      items: readonly number[];
      digest?: { eventId: string; rule: string; destination: string; type: string; message: unknown; renderError?: string; note: string };
    };

/** What is due for the release step. */
export interface DueHolds {
  readonly groups: readonly DueGroup[];
  readonly held: readonly DueHeld[];
}

export interface AcceptOutcome {
  /** Set when the same payload was received within the idempotency window: nothing was queued. */
  readonly duplicateOf?: string;
}

/**
 * `held`: waits in a group, for a send window or for flap damping; `merged`: went out inside a
 * digest; `suppressed`: held back for good (a throttle, flap damping), with a note saying why.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'held' | 'merged' | 'suppressed';

export interface DueDelivery {
  readonly id: number;
  readonly eventId: string;
  readonly rule: string;
  readonly destination: string;
  /** The destination's type when the message was made: the message has that channel's shape. */
  readonly type: string;
  readonly message: unknown;
  /** Attempts since it was queued or last replayed: what the retry policy counts. */
  readonly attempts: number;
  /** Attempts on record, those before a replay too: what the log numbers them by, as `explain` lists them. */
  readonly tried: number;
  readonly createdAt: number;
  /** When it is due (a claimed one: when its sender's hold ends). */
  readonly nextAt: number;
  /** What the far end calls the message this one answers (Slack ts, Message-ID): send it as a reply. */
  readonly replyTo?: string;
  /** Set when the message it answers is not sent yet: wait for it (D1 reads it; Node's `due` leaves such out). */
  readonly replyWaits?: boolean;
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
  /** What the far end calls the sent message (Slack ts, Message-ID), for replies to it. */
  readonly ref?: string;
}

/** How an event stands, derived from its deliveries; `events --status` and `/api/events?status=` take each. */
export const EVENT_STATUSES = ['received', 'delivered', 'pending', 'failed', 'dead', 'unrouted', 'duplicate', 'held', 'suppressed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

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
  /** Why it waits or was held back: group, window, flap, throttle, damped. */
  readonly hold?: string;
  readonly note?: string;
  /** A held delivery's group: its label, how many it holds, when they go. */
  readonly group?: { id: number; label: string; size: number; flushAt?: number };
  /** The digest it went out in, and how that stands. */
  readonly mergedInto?: { id: number; status: DeliveryStatus };
  /** The delivery whose message this one answers. */
  readonly replyTo?: number;
  /** What the far end calls the sent message. */
  readonly ref?: string;
}

/** Everything known about one event: why it was, or was not, sent. */
export interface Explanation extends EventSummary {
  readonly payload: unknown;
  readonly duplicateOf?: string;
  /** The event it repeats was pruned since (its window had passed): `explain` can no longer show it. */
  readonly duplicateOfPruned?: true;
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

/**
 * What a bulk replay queues again: every dead delivery, or every failed one waiting for its next
 * try (after an outage, so that the backlog goes now rather than as each backoff runs out).
 */
export interface ReplaySelection {
  readonly status: 'dead' | 'failed';
  /** Only this destination's (all of them when undefined). */
  readonly destination?: string | undefined;
  /**
   * Sent to this destination instead (a reload renamed `destination`). A name the rules lack, or one
   * of another type, makes them dead again at their first try, with the reason.
   */
  readonly to?: string | undefined;
}

export interface Store {
  /** Commits a batch of received events in one transaction (group commit). */
  accept(events: readonly NewEvent[], idempotencyWindowMs: number): Promise<AcceptOutcome[]>;
  /** Committed events not yet routed, oldest first. */
  unrouted(limit: number): Promise<UnroutedEvent[]>;
  /**
   * Records routing decisions and queues their deliveries, with their effects, in one transaction.
   * Throws ConflictError when an event was routed already or an effect's state changed meanwhile.
   */
  route(routings: readonly Routing[], now: number): Promise<Routed>;
  /** Pending deliveries of a destination that are due, oldest first, leaving out `skip`. */
  due(destination: string, now: number, limit: number, skip: ReadonlySet<number>): Promise<DueDelivery[]>;
  /** When the next pending delivery falls due, if any. */
  nextDue(): Promise<number | undefined>;
  /** The destinations that have pending deliveries (some may have left the rules since). */
  pendingDestinations(): Promise<string[]>;
  /** Records attempts and their resulting states in one transaction. */
  record(attempts: readonly AttemptRecord[]): Promise<void>;
  /**
   * Makes a destination's pending deliveries wait until `until` at least (a Retry-After that holds
   * back the whole channel), and keeps the hold for those routed before then (`destinationHolds`).
   */
  postpone(destination: string, until: number): Promise<void>;
  /** The destinations a Retry-After still holds back at `now`, and until when. */
  destinationHolds(now: number): Promise<ReadonlyMap<string, number>>;
  events(filter: EventFilter): Promise<EventSummary[]>;
  explain(id: string): Promise<Explanation | undefined>;
  /** Queues an event's failed or dead deliveries again, as new; their ids (undefined: no such event). */
  replay(id: string, now: number): Promise<number[] | undefined>;
  /** Queues every dead delivery, or every failed one (of one destination, if named) again, as new; their ids. */
  replayAll(now: number, which: ReplaySelection): Promise<number[]>;
  /**
   * Deletes events older than `before` whose deliveries are all done (dead ones are kept), oldest
   * first, in batches; with `limit`, it stops after the batch that reaches it and leaves the rest
   * for the next call.
   */
  prune(before: number, limit?: number): Promise<number>;
  /** Deletes hold state (groups, throttles, closed incidents) nothing waits on, last used before `before`. */
  pruneHolds(before: number): Promise<void>;
  /** Deletes dead deliveries and events left with nothing pending. */
  purgeDead(): Promise<number>;
  /** Throttles and incidents for hold decisions, with the deliveries of incidents' opening events. */
  holdState(query: HoldQuery): Promise<HoldSnapshot>;
  /** Groups due and deliveries held until a time that has come, by `now`. */
  dueHolds(now: number, limit: number): Promise<DueHolds>;
  /** What a group holds, oldest first. */
  groupItems(group: number, limit: number): Promise<GroupItem[]>;
  /** Applies one release decision atomically; the deliveries it made sendable. ConflictError when it was taken already. */
  applyRelease(action: ReleaseAction, now: number): Promise<Routed>;
  /** When the next group or held delivery falls due. */
  nextHold(): Promise<number | undefined>;
  close(): Promise<void>;
}
