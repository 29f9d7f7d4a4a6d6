import { didYouMean } from '../config/did-you-mean.ts';
import { SAMPLE_IDS, samplePayload, sampleTitle } from '../events/samples.ts';
import { EXIT, type Out } from './exit.ts';

/**
 * `switchboard samples [events_id]`: the list of event ids, or the built-in sample payload of one,
 * to start a rule or a test from.
 */
export function samples(id: string | undefined, out: Out = console.log, err: Out = console.error): number {
  if (id === undefined) {
    const width = Math.max(...SAMPLE_IDS.map((i) => i.length));
    for (const i of SAMPLE_IDS) out(`${i.padEnd(width)}  ${sampleTitle(i)}`);
    return EXIT.ok;
  }
  const payload = samplePayload(id);
  if (!payload) {
    err(`unknown event id "${id}"${didYouMean(id, SAMPLE_IDS)}; \`switchboard samples\` lists them`);
    return EXIT.usage;
  }
  out(JSON.stringify(payload, null, 2));
  return EXIT.ok;
}
