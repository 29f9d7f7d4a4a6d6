import type { SendResult } from '../channels/channel.ts';
import { giveUp, networkOutcome } from '../channels/outcome.ts';
import type { Logger } from '../log.ts';
import { nextState, type NextState, type RetryPolicy } from '../queue/policy.ts';
import type { AttemptRecord, DueDelivery } from '../queue/store.ts';
import type { AttemptLog } from './attempt-log.ts';
import type { Connection } from './senders.ts';

/**
 * One attempt at a delivery. A destination without credentials logs the message and counts as
 * sent, so that nothing waits for credentials that never come. One removed from the rules since the
 * event was routed gives up: the delivery is dead, visible, and replayable once it is back. So does
 * one whose type changed (a reload made a webhook a Slack channel): its message has the old
 * channel's shape, which the new one would send empty or garbled, and say it was delivered.
 */
export async function sendOnce(d: DueDelivery, dest: { readonly type: string } | undefined, conn: Connection | undefined, log: Logger): Promise<SendResult> {
  if (!dest || !conn) {
    return giveUp(`destination "${d.destination}" is no longer in the rules; restore it and replay, or if it was renamed, replay --dead --destination ${d.destination} --to <its new name>`);
  }
  if (dest.type !== d.type) {
    return giveUp(`destination "${d.destination}" is now of type ${dest.type}, and this message was made for ${d.type}; give it back type ${d.type} and replay, or purge it`);
  }
  if ('missing' in conn) {
    log.info('message not sent (destination has no credentials)', { event: d.eventId, rule: d.rule, destination: d.destination, message: d.message });
    return { ok: true, info: `logged: ${conn.missing}` };
  }
  try {
    return await conn.sender.send(d.message, { id: `${d.eventId}.${d.id}`, ...(d.replyTo ? { replyTo: d.replyTo } : {}) });
  } catch (e) {
    return networkOutcome(e);
  }
}

/** What an attempt's result makes of a delivery (retry policy applied), logged, and as the store records it. */
export function settleAttempt(
  d: DueDelivery,
  result: SendResult,
  at: number,
  policy: RetryPolicy,
  attempts: AttemptLog,
  random?: () => number,
): { next: NextState; record: AttemptRecord } {
  const next = nextState(result, d.attempts + 1, d.createdAt, at, policy, random);
  attempts.settled(d, result, next, at);
  const detail = result.ok ? `${result.info ?? 'sent'}${result.missed ? `; not accepted for ${result.missed}` : ''}` : next.status === 'dead' ? next.reason : result.reason;
  const ref = result.ok ? result.ref : undefined;
  return {
    next,
    record: { deliveryId: d.id, at, ok: result.ok, detail, status: next.status, ...(next.status === 'pending' ? { nextAt: next.nextAt } : {}), ...(ref ? { ref } : {}) },
  };
}
