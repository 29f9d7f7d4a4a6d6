import { canonicalEventId } from './catalog.ts';

/** A VCS Provisioning API call, validated. */
export interface VcsEvent {
  readonly event: {
    readonly dt: string;
    /** The id as VCS sent it. */
    readonly events_id: string;
    readonly object_id: number | string;
  };
  readonly data: Record<string, unknown>;
}

export type ParseResult = { ok: true; value: VcsEvent; eventId: string } | { ok: false; error: string };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ISO 8601 with a date, a time and an offset (VCS sends "+00:00"), microseconds allowed.
const ISO_DT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * VCS's payloads are three or four levels deep. Far deeper ones (a hundred thousand levels fit in a
 * megabyte) would overflow the stack of whatever walks them next, comparing repeats or rendering.
 */
const MAX_DEPTH = 64;

/** Whether objects and arrays nest below `max` levels; walked without recursion, for that reason. */
function deeperThan(root: object, max: number): boolean {
  const stack: Array<{ value: object; depth: number }> = [{ value: root, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (item.depth > max) return true;
    for (const child of Object.values(item.value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: item.depth + 1 });
    }
  }
  return false;
}

/**
 * Parses and validates a raw request body as a VCS envelope.
 * The returned `eventId` is the canonical id used for routing (old spellings mapped to new ones).
 */
export function parseEnvelope(body: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return { ok: false, error: `body is not valid JSON: ${(e as Error).message}` };
  }
  if (!isObject(json)) return { ok: false, error: `body must be a JSON object, got ${typeName(json)}` };
  const { event, data } = json;
  if (event === undefined) return { ok: false, error: 'missing field "event"' };
  if (!isObject(event)) return { ok: false, error: `"event" must be an object, got ${typeName(event)}` };
  const { dt, events_id: id, object_id: objectId } = event;
  if (id === undefined) return { ok: false, error: 'missing field "event.events_id"' };
  if (typeof id !== 'string' || id.trim() === '') {
    // "got a string" would not say what is wrong with "" or "  ".
    const got = typeof id === 'string' ? JSON.stringify(id) : typeName(id);
    return { ok: false, error: `"event.events_id" must be a non-empty string, got ${got}` };
  }
  if (dt === undefined) return { ok: false, error: 'missing field "event.dt"' };
  if (typeof dt !== 'string' || !ISO_DT.test(dt) || Number.isNaN(Date.parse(dt))) {
    return { ok: false, error: `"event.dt" must be an ISO 8601 date-time string, got ${JSON.stringify(dt)}` };
  }
  if (objectId === undefined) return { ok: false, error: 'missing field "event.object_id"' };
  if (typeof objectId !== 'number' && typeof objectId !== 'string') {
    return { ok: false, error: `"event.object_id" must be a number or a string, got ${typeName(objectId)}` };
  }
  // JSON.parse makes a number past the largest double (1e400) Infinity, which is stored as the
  // object id "Infinity" and shown in the payload as null: the id the sender meant is lost.
  if (typeof objectId === 'number' && !Number.isFinite(objectId)) {
    return { ok: false, error: '"event.object_id" is a number too large to hold; send it as a string' };
  }
  if (data === undefined) return { ok: false, error: 'missing field "data"' };
  if (!isObject(data)) return { ok: false, error: `"data" must be an object, got ${typeName(data)}` };
  if (deeperThan(data, MAX_DEPTH)) return { ok: false, error: `"data" is nested more than ${MAX_DEPTH} levels deep` };
  // Fields VCS does not send are kept in the stored payload too, which explain and the admin API
  // show whole: nested as deep, they would overflow the stack there.
  for (const [key, value] of Object.entries(json)) {
    if (key !== 'data' && typeof value === 'object' && value !== null && deeperThan(value, MAX_DEPTH)) {
      return { ok: false, error: `${JSON.stringify(key)} is nested more than ${MAX_DEPTH} levels deep` };
    }
  }
  return {
    ok: true,
    value: { event: { dt, events_id: id, object_id: objectId }, data },
    eventId: canonicalEventId(id),
  };
}
