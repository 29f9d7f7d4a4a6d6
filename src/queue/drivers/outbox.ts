import { afterIo } from '../schedule.ts';
import type { DueDelivery, Statement, Store, UnroutedEvent } from '../store.ts';
import { holdMethods, type SqlRunner } from './holds.ts';
import { dueDelivery, explanation, summary, type AttemptRow, type DeliveryRow, type DueRow, type EventRow, type SummaryRow } from './rows.ts';
import { eventsQuery, SQL } from './sql.ts';
import { stmt } from './writes.ts';

/** The store every driver gives, plus the lookups by id the Workers queue consumer needs. */
export interface SqlStore extends Store {
  /** A pending delivery, due or not (`nextAt` says when); undefined when it was sent or is dead. */
  delivery(id: number): Promise<DueDelivery | undefined>;
  /** A committed event not yet routed. */
  unroutedEvent(id: string): Promise<UnroutedEvent | undefined>;
  /** Pending deliveries due before `before`, oldest first: for the sweep that re-queues lost messages. */
  overdue(before: number, limit: number): Promise<DueDelivery[]>;
  /** Pending deliveries that answer this one's message and waited for it to be sent. */
  replies(id: number): Promise<number[]>;
  /**
   * Takes a pending delivery due by `dueBy` for one sender until `until` (or until its attempt is
   * recorded): false when it is not due, or another sender took it.
   */
  claim(id: number, dueBy: number, until: number): Promise<boolean>;
  /** When a pending delivery is next due (a claimed one given back unsent). */
  schedule(id: number, at: number): Promise<void>;
}

export interface OutboxOptions {
  /**
   * Events pruned per statement (default 1,000). A first prune after a long stop, or after the
   * retention period was shortened, may have a million events to delete: in one statement that
   * held the write lock for seconds on Node (100,000 took 0.8 s here), so answers to VCS waited,
   * and on D1 it could outrun a query's time limit and delete nothing. A batch takes a few
   * milliseconds, and other writers get the lock between batches.
   */
  pruneBatch?: number;
}

type UnroutedRow = { id: string; payload: string; received_at: number };
const unrouted = (r: UnroutedRow): UnroutedEvent => ({ id: r.id, raw: r.payload, receivedAt: r.received_at });

/**
 * Everything of the store but accepting events (each driver locks its duplicate check its own way)
 * and closing: one implementation on the shared SQL, run by either driver's runner.
 */
export function outboxMethods(run: SqlRunner, options: OutboxOptions = {}): Omit<SqlStore, 'accept' | 'close'> {
  const holds = holdMethods(run);
  const pruneBatch = options.pruneBatch ?? 1_000;
  const first = async <T>(sql: string, params: readonly unknown[]): Promise<T | undefined> => (await run.all<T>(sql, params))[0];
  const ids = async ({ sql, params }: Statement) => (await run.all<{ id: number }>(sql, params)).map((r) => r.id);
  return {
    ...holds,
    async unrouted(limit) {
      return (await run.all<UnroutedRow>(SQL.unrouted, [limit])).map(unrouted);
    },
    async unroutedEvent(id) {
      const row = await first<UnroutedRow>(SQL.unroutedEvent, [id]);
      return row && unrouted(row);
    },
    async due(destination, now, limit, skip) {
      const rows = await run.all<DueRow>(SQL.due, [destination, now, limit + skip.size]);
      return rows.filter((r) => !skip.has(r.id)).slice(0, limit).map(dueDelivery);
    },
    async delivery(id) {
      const row = await first<DueRow>(SQL.delivery, [id]);
      return row && dueDelivery(row);
    },
    async replies(id) {
      return ids(stmt(SQL.replies, id));
    },
    async claim(id, dueBy, until) {
      const [claimed] = await run.batch([{ sql: SQL.claim, params: [until, id, dueBy] }]);
      return (claimed?.rows.length ?? 0) > 0;
    },
    async schedule(id, at) {
      await run.batch([{ sql: SQL.schedule, params: [at, id] }]);
    },
    async overdue(before, limit) {
      return (await run.all<DueRow>(SQL.overdue, [before, limit])).map(dueDelivery);
    },
    async nextDue() {
      return (await first<{ at: number | null }>(SQL.nextDue, []))?.at ?? undefined;
    },
    async pendingDestinations() {
      return (await run.all<{ destination: string }>(SQL.pendingDestinations, [])).map((r) => r.destination);
    },
    async record(records) {
      if (records.length === 0) return;
      await run.batch(
        records.flatMap((r) => [
          { sql: SQL.insertAttempt, params: [r.deliveryId, r.at, r.ok ? 1 : 0, r.detail] },
          { sql: SQL.updateDelivery, params: [r.status, r.nextAt ?? r.at, r.ok ? null : r.detail, r.ref ?? null, r.deliveryId] },
        ]),
      );
    },
    async postpone(destination, until) {
      await run.batch([
        { sql: SQL.postpone, params: [until, destination, until] },
        { sql: SQL.holdDestination, params: [destination, until] },
      ]);
    },
    async destinationHolds(now) {
      return new Map((await run.all<{ destination: string; until: number }>(SQL.destinationHolds, [now])).map((r) => [r.destination, r.until]));
    },
    async events(filter) {
      const { sql, params } = eventsQuery(filter);
      return (await run.all<SummaryRow>(sql, params)).map(summary);
    },
    async explain(id) {
      const row = await first<EventRow>(SQL.event, [id]);
      if (!row) return undefined;
      const deliveries = await run.all<DeliveryRow>(SQL.deliveriesOf, [id]);
      const attempts = new Map<number, AttemptRow[]>();
      for (const d of deliveries) attempts.set(d.id, await run.all<AttemptRow>(SQL.attemptsOf, [d.id]));
      return explanation(row, deliveries, (d) => attempts.get(d) ?? []);
    },
    async replay(id, now) {
      if (!(await first(SQL.event, [id]))) return undefined;
      return ids(stmt(SQL.replay, now, id));
    },
    async replayAll(now, { status, destination = null, to = null }) {
      return ids(stmt(status === 'dead' ? SQL.replayDead : SQL.replayFailed, now, destination, to));
    },
    async prune(before, limit = Infinity) {
      let n = 0;
      for (;;) {
        const batch = (await run.all(SQL.prune, [before, pruneBatch])).length;
        n += batch;
        if (batch < pruneBatch || n >= limit) break;
        // better-sqlite3 answers synchronously: without this, Node's main thread would serve
        // nothing else (deliveries, /healthz) until the whole backlog is gone.
        await new Promise<void>((next) => afterIo(next));
      }
      return n;
    },
    async purgeDead() {
      // Counted before the deletes (a dead digest's merged deliveries made dead first, so they count),
      // in the same transaction: D1 counts cascaded deletes as changes, SQLite does not.
      const [, counted] = await run.batch([
        { sql: SQL.deadMerged, params: [] },
        { sql: SQL.countDead, params: [] },
        { sql: SQL.purgeDeadEvents, params: [] },
        { sql: SQL.purgeDead, params: [] },
      ]);
      return Number((counted?.rows[0] as { n: number } | undefined)?.n ?? 0);
    },
  };
}
