import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/events/envelope.ts';
import { SAMPLE_IDS, samplePayload, sampleTitle } from '../../src/events/samples.ts';

describe('built-in samples', () => {
  it('one for each of the 22 event ids, each a valid payload of its own id', () => {
    expect(SAMPLE_IDS).toHaveLength(22);
    for (const id of SAMPLE_IDS) {
      const parsed = parseEnvelope(JSON.stringify(samplePayload(id)));
      expect(parsed.ok, id).toBe(true);
      expect(parsed.ok && parsed.value.event.events_id, id).toBe(id);
      expect(sampleTitle(id), id).toBeTruthy();
    }
  });

  it('the pre-3.23 spelling keeps its id, and is routed as the new one', () => {
    const parsed = parseEnvelope(JSON.stringify(samplePayload('clients.custom_fields_update')));
    expect(parsed.ok && [parsed.value.event.events_id, parsed.eventId]).toEqual(['clients.custom_fields_update', 'clients.custom_fields.update']);
    expect(sampleTitle('clients.custom_fields_update')).toBe('Client custom fields updated (the spelling of VCS before 3.23)');
  });

  it('is a copy: changing one does not change the next', () => {
    (samplePayload('clients.create')!.data as { name: string }).name = 'changed';
    expect(samplePayload('clients.create')!.data.name).toBe('ACME Telecom');
  });

  it('nothing for an unknown id', () => {
    expect(samplePayload('clients.teleport')).toBeUndefined();
  });
});
