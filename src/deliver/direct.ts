import type { SendResult } from '../channels/channel.ts';
import type { Logger } from '../log.ts';
import type { PlannedDelivery } from './plan.ts';
import type { Connection } from './senders.ts';

/** Sends one planned delivery now, or logs it when its destination has no credentials. */
export async function sendNow(delivery: PlannedDelivery, connections: ReadonlyMap<string, Connection>, log: Logger, eventRef: string): Promise<SendResult> {
  const conn = connections.get(delivery.destination);
  const fields = { event: eventRef, rule: delivery.rule, destination: delivery.destination };
  if (!conn || 'missing' in conn) {
    log.info('message not sent (destination has no credentials)', { ...fields, message: delivery.message });
    return { ok: true, info: 'logged' };
  }
  const result = await conn.sender.send(delivery.message);
  if (result.ok) log.info('delivered', { ...fields, info: result.info });
  else log.warn('delivery failed', { ...fields, retry: result.retry, reason: result.reason });
  return result;
}
