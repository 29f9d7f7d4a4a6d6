import { ConflictError, type DueHeld, type GroupItem, type HoldSnapshot, type Routed, type Statement, type Store } from '../store.ts';
import { incidentRow, throttleRow, type IncidentDbRow, type ThrottleDbRow } from './rows.ts';
import { HOLD_SQL, SQL } from './sql.ts';
import { isGuardFailure, releaseStatements, routeStatements, type RouteRole } from './writes.ts';

/** What one statement of a transaction did. */
export interface StatementResult {
  readonly changes: number;
  readonly lastRowId: number;
  /** What a statement with RETURNING (or a query) gave back. */
  readonly rows: readonly Record<string, unknown>[];
}

/** The little each driver provides so that the shared SQL below runs on it. */
export interface SqlRunner {
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Runs statements in one transaction, rolled back when one fails. */
  batch(statements: readonly Statement[]): Promise<StatementResult[]>;
}

export type HoldMethods = Pick<Store, 'route' | 'holdState' | 'dueHolds' | 'groupItems' | 'applyRelease' | 'nextHold' | 'pruneHolds'>;

/** Runs a transaction; a failed guard means the state it was decided on changed: ConflictError. */
async function transact(run: SqlRunner, statements: ReadonlyArray<Statement & { role: RouteRole }>): Promise<Array<StatementResult & { role: RouteRole }>> {
  try {
    const results = await run.batch(statements);
    return results.map((r, i) => ({ ...r, role: statements[i]!.role }));
  } catch (e) {
    if (isGuardFailure(e)) throw new ConflictError();
    throw e;
  }
}

/** What a transaction made sendable, and when what it scheduled falls due. */
function produced(results: ReadonlyArray<StatementResult & { role: RouteRole }>, releaseAt: number[] = []): Routed {
  const deliveries: number[] = [];
  for (const r of results) {
    if (r.role === 'pending') {
      if (r.rows.length > 0) deliveries.push(...r.rows.map((x) => Number(x.id)));
      else if (r.changes > 0) deliveries.push(r.lastRowId);
    } else if (r.role === 'scheduled') {
      for (const x of r.rows) if (x.flush_at !== null && x.flush_at !== undefined) releaseAt.push(Number(x.flush_at));
    }
  }
  return { deliveries, releaseAt };
}

/**
 * Routing, hold state and its release, in the SQL both drivers share (sql.ts, writes.ts): SQLite on
 * Node and D1 on Workers differ only in how they run a statement and a transaction.
 */
export function holdMethods(run: SqlRunner): HoldMethods {
  return {
    async route(routings, now) {
      if (routings.length === 0) return { deliveries: [], releaseAt: [] };
      const results = await transact(run, routeStatements(routings, now));
      const releaseAt = routings.flatMap((r) => r.plan.deliveries.filter((d) => d.status === 'held' && d.nextAt !== undefined).map((d) => d.nextAt!));
      return produced(results, releaseAt);
    },

    async holdState(query): Promise<HoldSnapshot> {
      const throttles = [];
      for (const t of query.throttles) {
        const [row] = await run.all<ThrottleDbRow>(HOLD_SQL.throttle, [t.rule, t.destination, t.key]);
        if (row) throttles.push(throttleRow(row));
      }
      const incidents = [];
      for (const i of query.incidents) {
        const [row] = await run.all<IncidentDbRow>(HOLD_SQL.incident, [i.name, i.key]);
        if (row) incidents.push(incidentRow(row, await run.all(HOLD_SQL.rootsOf, [row.open_event])));
      }
      return { throttles, incidents };
    },

    async dueHolds(now, limit) {
      const groups = await run.all<{ id: number; rule: string; destination: string; label: string; flush_at: number; last_flush_at: number | null }>(HOLD_SQL.dueGroups, [now, limit]);
      const held = await run.all<{ id: number; event_id: string; rule: string; destination: string; hold: string; next_at: number }>(HOLD_SQL.dueHeld, [now, limit]);
      return {
        groups: groups.map((g) => ({
          id: g.id,
          rule: g.rule,
          destination: g.destination,
          label: g.label,
          flushAt: g.flush_at,
          ...(g.last_flush_at !== null ? { lastFlushAt: g.last_flush_at } : {}),
        })),
        held: held.map((h): DueHeld => ({ id: h.id, eventId: h.event_id, rule: h.rule, destination: h.destination, hold: h.hold, nextAt: h.next_at })),
      };
    },

    async groupItems(group, limit): Promise<GroupItem[]> {
      const rows = await run.all<{ id: number; event_id: string; type: string; message: string; context: string | null; created_at: number }>(HOLD_SQL.groupItems, [group, limit]);
      return rows.map((r) => ({ id: r.id, eventId: r.event_id, type: r.type, message: JSON.parse(r.message), context: r.context ? JSON.parse(r.context) : {}, createdAt: r.created_at }));
    },

    async applyRelease(action, now) {
      return produced(await transact(run, releaseStatements(action, now)));
    },

    async nextHold() {
      const [row] = await run.all<{ at: number | null }>(HOLD_SQL.nextHold, []);
      return row?.at ?? undefined;
    },

    async pruneHolds(before) {
      await run.batch([
        { sql: SQL.pruneGroups, params: [before] },
        { sql: SQL.pruneThrottles, params: [before] },
        { sql: SQL.pruneIncidents, params: [before] },
      ]);
    },
  };
}
