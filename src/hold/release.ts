import type { Rule } from '../config/config.ts';
import type { Planner } from '../deliver/plan.ts';
import type { Logger } from '../log.ts';
import { ConflictError, type DueGroup, type GroupItem, type ReleaseAction, type Routed, type Store } from '../queue/store.ts';
import { windowFor } from './decide.ts';
import { isOpen, localLabel, nextOpen } from './window.ts';

export interface ReleaseOptions {
  /** Groups and held deliveries looked at per call. */
  limit?: number;
  /** Most events in one digest; a group holding more sends several, one after the other. */
  digestLimit?: number;
}

export interface Released extends Routed {
  /** More was due than one call looks at: call again. */
  readonly more: boolean;
}

/**
 * Releases what has come due by `now`: groups send their message (the one event's own, or a
 * digest of several), held deliveries become sendable, each unless its send window is closed, in
 * which case it waits for the window to open. Every decision is applied in its own transaction
 * that claims what it releases, so that two releasers (two isolates, a restart) send it once.
 */
export async function releaseDue(store: Store, planner: Planner, now: number, log: Logger, options: ReleaseOptions = {}): Promise<Released> {
  const limit = options.limit ?? 100;
  const due = await store.dueHolds(now, limit);
  const actions: ReleaseAction[] = [];
  const release: number[] = [];
  for (const h of due.held) {
    const window = windowFor(rule(planner, h.rule), planner.config.destinations.get(h.destination));
    if (window && !isOpen(window, now)) {
      const until = nextOpen(window, now);
      actions.push({ kind: 'defer', id: h.id, until, note: `deferred: outside send window ${window.name} (${window.label}) until ${localLabel(until, window.timeZone)}` });
    } else release.push(h.id);
  }
  // Bound parameters per statement are limited on D1 (100).
  for (let i = 0; i < release.length; i += 50) actions.push({ kind: 'release', ids: release.slice(i, i + 50) });
  for (const g of due.groups) actions.push(await flushGroup(store, planner, g, now, options.digestLimit ?? 200));

  const out: Released = { deliveries: [], releaseAt: [], more: due.groups.length >= limit || due.held.length >= limit };
  for (const action of actions) {
    try {
      const done = await store.applyRelease(action, now);
      out.deliveries.push(...done.deliveries);
      out.releaseAt.push(...done.releaseAt);
      if (action.kind === 'defer' || action.kind === 'defer-group') out.releaseAt.push(action.until);
      // Said once the digest is recorded: a digest released elsewhere first is that one's to tell.
      if (action.kind === 'flush' && action.digest?.renderError !== undefined) {
        const { eventId, rule, destination, renderError } = action.digest;
        log.warn('digest template failed; the plain fallback digest goes instead', { event: eventId, rule, destination, events: action.items.length, error: renderError });
      }
    } catch (e) {
      // Someone else released it first (another isolate, another process): nothing to do.
      if (!(e instanceof ConflictError)) throw e;
      log.info('released elsewhere already', { action: action.kind });
    }
  }
  return out;
}

const rule = (planner: Planner, name: string): Rule | undefined => planner.config.rules.find((r) => r.name === name);

/** What a due group does: wait for its window, send its one event's message, or send a digest. */
async function flushGroup(store: Store, planner: Planner, g: DueGroup, now: number, digestLimit: number): Promise<ReleaseAction> {
  const r = rule(planner, g.rule);
  const destination = planner.config.destinations.get(g.destination);
  const window = windowFor(r, destination);
  if (window && !isOpen(window, now)) return { kind: 'defer-group', group: g.id, seenFlushAt: g.flushAt, until: nextOpen(window, now) };
  let items = await store.groupItems(g.id, digestLimit);
  if (items.length === 0) return { kind: 'close-group', group: g.id, seenFlushAt: g.flushAt };
  let full = items.length >= digestLimit;
  // A digest its channel would cut (Slack's 40,000 characters) would hide the events at its end:
  // it takes as many as fit, and the others go in the next one.
  if (items.length > 1 && destination) {
    const fit = fitting(planner, r, g, items);
    if (fit < items.length) [items, full] = [items.slice(0, fit), true];
  }
  // More than one digest's worth waits: the next digest goes at once, not an interval later.
  const intervalMs = full ? 0 : (r?.group?.intervalMs ?? 0);
  const base = { kind: 'flush' as const, group: g.id, seenFlushAt: g.flushAt, intervalMs, items: items.map((i) => i.id) };
  // One event goes as its own message; a destination no longer in the rules cannot render a
  // digest, so its events go one by one (and are logged, as the dispatcher does for it).
  if (items.length === 1 || !destination) return base;
  return { ...base, digest: digestOf(planner, r, g, items) };
}

// A rule renamed or removed since: the default digest.
const digestRule = (r: Rule | undefined, g: DueGroup): Rule => r ?? { name: g.rule, index: -1, events: [], to: [g.destination], templates: new Map(), continue: false };

/** How many of the items, from the first, make a digest the channel sends whole (one goes as its own message). */
function fitting(planner: Planner, r: Rule | undefined, g: DueGroup, items: readonly GroupItem[]): number {
  const destination = planner.config.destinations.get(g.destination)!;
  const cuts = destination.kind.cuts;
  if (!cuts) return items.length;
  const over = (n: number) => {
    const parts = planner.renderer.renderDigestParts(digestRule(r, g), destination, items.slice(0, n), { label: g.label });
    return parts.ok && cuts(parts.parts);
  };
  if (!over(items.length)) return items.length;
  let [lo, hi] = [1, items.length - 1];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (over(mid)) hi = mid - 1;
    else lo = mid;
  }
  return lo;
}

function digestOf(planner: Planner, r: Rule | undefined, g: DueGroup, items: readonly GroupItem[]) {
  const destination = planner.config.destinations.get(g.destination)!;
  const rendered = planner.renderer.renderDigest(digestRule(r, g), destination, items, { label: g.label });
  const note = `digest of ${items.length} events grouped by rule ${g.rule}${g.label ? ` (${g.label})` : ''}`;
  const base = { eventId: items[0]!.eventId, rule: g.rule, destination: g.destination, type: destination.type, note };
  if (rendered.ok) return { ...base, message: rendered.message };
  const subject = `${items.length} VCS events for rule ${g.rule} (digest could not be rendered)`;
  const lines = items.map((i) => {
    const e = (i.context.event ?? {}) as { events_id?: string; object_id?: unknown; dt?: string };
    return `- ${e.events_id} for object ${String(e.object_id)} at ${e.dt}`;
  });
  const text = `${subject}:\n${lines.join('\n')}\nSwitchboard could not render the digest for destination "${g.destination}": ${rendered.error}`;
  return { ...base, message: destination.kind.fallback(text, subject), renderError: rendered.error };
}
