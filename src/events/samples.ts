import { EVENT_ALIASES, EVENT_IDS, EVENTS } from './catalog.ts';
import type { VcsEvent } from './envelope.ts';

/** Every id VCS sends, old spellings included: the 22 events of `switchboard samples`. */
export const SAMPLE_IDS: readonly string[] = [...EVENT_IDS, ...Object.keys(EVENT_ALIASES)];

/** The built-in sample payload of an event id, as VCS would send it (an old spelling keeps its id). */
export function samplePayload(id: string): VcsEvent | undefined {
  const info = EVENTS[EVENT_ALIASES[id] ?? id];
  if (!info) return undefined;
  const sample = structuredClone(info.sample) as unknown as VcsEvent;
  return { ...sample, event: { ...sample.event, events_id: id } };
}

/** What an event means, in a few words; old spellings say so. */
export function sampleTitle(id: string): string | undefined {
  const canonical = EVENT_ALIASES[id];
  if (canonical) return `${EVENTS[canonical]!.title} (the spelling of VCS before 3.23)`;
  return EVENTS[id]?.title;
}
