import type { Config } from '../config/config.ts';
import { pruneBefore, type ServiceSettings } from '../config/service-settings.ts';
import type { Store } from './store.ts';

/**
 * The longest a rule's hold state still decides something after it was last used: a group's
 * interval (the next message waits it out after the last), a throttle's period, an incident's flap.
 */
export function longestHoldMs(config: Pick<Config, 'rules' | 'incidents'>): number {
  let ms = 0;
  for (const r of config.rules) ms = Math.max(ms, r.group?.intervalMs ?? 0, r.throttle?.perMs ?? 0);
  for (const i of config.incidents.values()) ms = Math.max(ms, i.flapMs);
  return ms;
}

/**
 * Deletes what the retention period lets go: old events nothing waits on (at most about `limit`),
 * and hold state the rules no longer need. That is kept as long as events are, and at least as long
 * as the longest hold, so that a retention period shorter than a throttle's period does not start
 * the period again at every prune. The number of events deleted.
 */
export async function pruneOld(store: Store, settings: Pick<ServiceSettings, 'retentionMs' | 'idempotencyWindowMs'>, config: Pick<Config, 'rules' | 'incidents'>, now: number, limit?: number): Promise<number> {
  const before = pruneBefore(settings, now);
  const pruned = await store.prune(before, limit);
  await store.pruneHolds(Math.min(before, now - longestHoldMs(config)));
  return pruned;
}
