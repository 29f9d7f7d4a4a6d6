import { existsSync } from 'node:fs';
import { openStore } from '../node/open-store.ts';
import { readSettings } from '../node/settings.ts';
import { parseSince } from '../queue/since.ts';
import { EVENT_STATUSES, type EventStatus, type Explanation, type Store } from '../queue/store.ts';
import { counted, printable } from '../words.ts';

type Out = (line: string) => void;
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** Opens the outbox the server uses (DATA_DIR), runs `fn`, closes it. */
async function withStore(err: Out, fn: (store: Store) => Promise<number>): Promise<number> {
  const settings = readSettings();
  if (!settings.ok) {
    for (const e of settings.errors) err(e);
    return 1;
  }
  // Opening would create an empty outbox: a DATA_DIR pointing elsewhere would then say "no events"
  // (and leave a stray database, owned by whoever ran the command) instead of saying what is wrong.
  if (!existsSync(settings.value.dbFile)) {
    err(`no outbox at ${settings.value.dbFile}: set DATA_DIR to the folder the server uses`);
    return 1;
  }
  const store = openStore(settings.value);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `switchboard events [--status s] [--since 6h] [--limit n] [--json]` */
export function listEvents(opts: { status?: string; since?: string; limit?: string; json?: boolean }, out: Out = console.log, err: Out = console.error): Promise<number> {
  // `!== undefined`, not truthiness: an empty `--status=` or `--since=` is a mistake, not "no filter".
  if (opts.status !== undefined && !EVENT_STATUSES.includes(opts.status as EventStatus)) {
    err(`--status must be one of: ${EVENT_STATUSES.join(', ')}`);
    return Promise.resolve(2);
  }
  const since = opts.since !== undefined ? parseSince(opts.since) : undefined;
  if (since && !since.ok) {
    err(`--since ${since.error}`);
    return Promise.resolve(2);
  }
  // Checked here: SQLite answers "datatype mismatch" to a fractional LIMIT and "no events" to 0.
  const limit = opts.limit !== undefined ? Number(opts.limit) : 50;
  if (!Number.isInteger(limit) || limit < 1) {
    err(`--limit must be a whole number of at least 1, got "${opts.limit}"`);
    return Promise.resolve(2);
  }
  return withStore(err, async (store) => {
    const events = await store.events({
      ...(opts.status ? { status: opts.status as EventStatus } : {}),
      ...(since ? { since: since.value } : {}),
      limit,
    });
    if (opts.json) out(JSON.stringify(events, null, 2));
    else if (events.length === 0) out('no events');
    else for (const e of events) out(`${e.id}  ${time(e.receivedAt)}  ${e.status.padEnd(9)}  ${printable(e.eventId)} (object ${printable(e.objectId)}), ${counted(e.deliveries, 'delivery', 'deliveries')}`);
    return 0;
  });
}

function printExplanation(e: Explanation, out: Out): void {
  out(`event ${e.id}: ${printable(e.eventId)} (object ${printable(e.objectId)}), received ${time(e.receivedAt)}, ${e.status}`);
  if (e.duplicateOf) out(`  duplicate of ${e.duplicateOf}${e.duplicateOfPruned ? ' (pruned since, after the retention period)' : ''}: acknowledged, not delivered again`);
  for (const m of e.matched) out(`  rule ${m}: matched`);
  for (const s of e.skipped) out(`  rule ${s.rule}: skipped, ${s.reason}`);
  if (e.matched.length === 0 && !e.duplicateOf) out('  no rule took this event');
  for (const x of e.enrichment ?? []) {
    const what = `${x.object.replace('_', ' ')}${x.id ? ` #${x.id}` : ''}`;
    const how = { fetched: 'fetched from the VCS CoreAPI', cached: 'from the cache', failed: 'not fetched, sent without it', skipped: 'not fetched' }[x.outcome];
    out(`  enrichment ${what}: ${how}${x.reason ? `: ${x.reason}` : ''}`);
  }
  for (const d of e.deliveryDetails) {
    const next = d.nextAt ? (d.status === 'held' ? `, until ${time(d.nextAt)}` : `, next attempt ${time(d.nextAt)}`) : '';
    out(`\n  delivery ${d.id} to ${d.destination} (${d.type}) from rule ${d.rule}: ${d.status}${next}`);
    for (const line of holdLines(d)) out(`    ${line}`);
    if (d.renderError) out(`    template failed, fallback sent: ${d.renderError}`);
    for (const a of d.attempts) out(`    ${time(a.at)}  ${a.ok ? 'ok    ' : 'failed'}  ${a.detail}`);
    out(`    message: ${printable(JSON.stringify(d.message))}`);
  }
  out(`\n  payload: ${printable(JSON.stringify(e.payload))}`);
}

/** What a held, merged, held-back or threaded delivery waits for, or what became of it. */
function holdLines(d: Explanation['deliveryDetails'][number]): string[] {
  const lines: string[] = [];
  if (d.note) lines.push(d.note);
  if (d.group) {
    const others = d.group.size - 1;
    const with_ = others > 0 ? `with ${others} other event${others === 1 ? '' : 's'}` : 'alone so far';
    lines.push(`waits in group "${printable(d.group.label)}" ${with_}; ${d.group.flushAt ? `their message goes ${time(d.group.flushAt)}` : 'its message goes with the next event'}`);
  }
  if (d.mergedInto) lines.push(`went out in digest delivery ${d.mergedInto.id}: ${d.mergedInto.status}`);
  if (d.replyTo !== undefined) lines.push(`answers delivery ${d.replyTo}${d.status === 'pending' ? ' (sent after it)' : ''}`);
  return lines;
}

/** `switchboard explain <id> [--json]` */
export function explain(id: string, json: boolean, out: Out = console.log, err: Out = console.error): Promise<number> {
  return withStore(err, async (store) => {
    const e = await store.explain(id);
    if (!e) {
      err(`no event ${id}`);
      return 1;
    }
    if (json) out(JSON.stringify(e, null, 2));
    else printExplanation(e, out);
    return 0;
  });
}

/**
 * `switchboard replay <id>`, `replay --dead` or `replay --failed`, the last two for one destination
 * with `--destination`, and to another with `--to`: the running server sends them within a second.
 */
export function replay(
  ids: readonly string[],
  which: { dead?: boolean; failed?: boolean; destination?: string | undefined; to?: string | undefined },
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  const { dead, failed, destination, to } = which;
  const id = ids[0];
  const problem =
    ids.length > 1 || [id, dead, failed].filter(Boolean).length !== 1
      ? 'replay takes one event id, --dead or --failed'
      : id && (destination !== undefined || to !== undefined)
        ? '--destination and --to go with --dead or --failed; an event id names its deliveries already'
        : to !== undefined && destination === undefined
          ? '--to needs --destination: the destination whose deliveries go to another'
          : undefined;
  if (problem) {
    err(`${problem}\nusage: switchboard replay <event id> | --dead | --failed [--destination NAME [--to NAME]]`);
    return Promise.resolve(2);
  }
  return withStore(err, async (store) => {
    if (!id) {
      const status = dead ? 'dead' : 'failed';
      const n = (await store.replayAll(Date.now(), { status, destination, to })).length;
      const what = counted(n, `${status} delivery`, `${status} deliveries`);
      if (to !== undefined) out(`queued ${what} of ${destination} again, to ${to}`);
      else out(`queued ${what}${destination !== undefined ? ` to ${destination}` : ''} again`);
      return 0;
    }
    const n = (await store.replay(id, Date.now()))?.length;
    if (n === undefined) {
      err(`no event ${id}`);
      return 1;
    }
    out(`queued ${counted(n, 'delivery', 'deliveries')} of ${id} again`);
    return 0;
  });
}

/** `switchboard purge --dead`: forget dead deliveries for good. */
export function purgeDead(out: Out = console.log, err: Out = console.error): Promise<number> {
  return withStore(err, async (store) => {
    out(`purged ${counted(await store.purgeDead(), 'dead delivery', 'dead deliveries')}`);
    return 0;
  });
}
