import type { Intake } from '../../src/http/app.ts';
import { parseEnvelope } from '../../src/events/envelope.ts';
import { newEventId } from '../../src/events/id.ts';

/** Hands an intake an event as the HTTP route would, after its checks; resolves with the event's id once it is committed. */
export async function postEvent(intake: Intake, eventsId: string, objectId: number, data: Record<string, unknown> = {}): Promise<string> {
  const raw = JSON.stringify({ event: { dt: '2022-01-24T15:44:47+00:00', events_id: eventsId, object_id: objectId }, data });
  return (await postBody(intake, raw)).id;
}

/** The same for a body as sent, text and all; says also whether it was taken for a repeat. */
export async function postBody(intake: Intake, raw: string): Promise<{ id: string; duplicate: boolean }> {
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  const id = newEventId();
  const { duplicate } = await intake.accept({ id, eventId: parsed.eventId, envelope: parsed.value, raw, receivedAt: Date.now() });
  return { id, duplicate: duplicate === true };
}
