import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { didYouMean } from '../config/did-you-mean.ts';
import { parseEnvelope, type ParseResult } from '../events/envelope.ts';
import { SAMPLE_IDS, samplePayload } from '../events/samples.ts';

/** A payload named on the command line, parsed; `source` says where it came from. */
export interface Payload {
  readonly source: string;
  readonly parsed: ParseResult;
}

export type Payloads = { ok: true; payloads: Payload[] } | { ok: false; error: string };

/**
 * The payloads an argument names: a JSON file, every `.json` file of a folder (in name order), or,
 * when `samples` is set and nothing by that name exists, an event id's built-in sample.
 */
export function readPayloads(arg: string, { samples = false } = {}): Payloads {
  const stat = statOf(arg);
  if (stat?.isDirectory()) {
    const files = readdirSync(arg).filter((f) => f.endsWith('.json')).sort();
    if (files.length === 0) return { ok: false, error: `${arg}: no .json files in this folder` };
    return { ok: true, payloads: files.map((f) => fromFile(join(arg, f))) };
  }
  if (stat) return { ok: true, payloads: [fromFile(arg)] };
  const sample = samples ? samplePayload(arg) : undefined;
  if (sample) return { ok: true, payloads: [{ source: `the built-in sample of ${arg}`, parsed: parseEnvelope(JSON.stringify(sample)) }] };
  const hint = samples && !/[/\\]|\.json$/.test(arg) ? `no file, folder or event id "${arg}"${didYouMean(arg, SAMPLE_IDS)}` : `${arg}: no such file or folder`;
  return { ok: false, error: hint };
}

function fromFile(path: string): Payload {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    return { source: path, parsed: { ok: false, error: `cannot be read: ${(e as Error).message}` } };
  }
  return { source: path, parsed: parseEnvelope(payloadText(raw)) };
}

/** The payload in a file's text: the text itself, or the `payload` of a saved explanation (below). */
function payloadText(raw: string): string {
  try {
    const json: unknown = JSON.parse(raw);
    const payload = unwrapExplanation(json);
    return payload === json ? raw : JSON.stringify(payload);
  } catch {
    return raw; // not JSON: the envelope's parser says so
  }
}

/**
 * A file saved from `switchboard explain <id> --json` holds the event's explanation, with the
 * payload VCS sent under `payload`. The README suggests capturing payloads that way, so such a
 * file stands for its payload rather than failing with "missing field event".
 */
export function unwrapExplanation(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json;
  const e = json as { event?: unknown; eventId?: unknown; payload?: unknown };
  const explanation = e.event === undefined && typeof e.eventId === 'string' && typeof e.payload === 'object' && e.payload !== null;
  return explanation ? e.payload : json;
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
