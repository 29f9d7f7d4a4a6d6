import { afterEach, describe, expect, it } from 'vitest';
import { DurableIntake } from '../../src/queue/intake.ts';
import type { NewEvent, Store } from '../../src/queue/store.ts';
import { postBody, postEvent } from '../support/post-event.ts';
import { STORE_DRIVERS, tempStore } from '../support/store.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

/** A real store that remembers how its accepts were batched. */
function countingStore(): { store: Store; commits: number[] } {
  const { store } = tempStore();
  close = () => store.close();
  const commits: number[] = [];
  const accept = store.accept.bind(store);
  store.accept = (events: readonly NewEvent[], windowMs: number) => {
    commits.push(events.length);
    return accept(events, windowMs);
  };
  return { store, commits };
}

describe('the durable intake', () => {
  it('commits requests that arrive together in one transaction, and acknowledges each once it is stored', async () => {
    const { store, commits } = countingStore();
    const intake = new DurableIntake(store, { idempotencyWindowMs: 0 });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => postEvent(intake, 'clients.update', i + 1)));
    expect(commits).toEqual([20]);
    expect((await store.unrouted(100)).map((e) => e.id).sort()).toEqual([...ids].sort());
  });
});

describe.each(STORE_DRIVERS)('recognising repeats on %s', (_name, open) => {
  const isRepeat = async (intake: DurableIntake, raw: string) => (await postBody(intake, raw)).duplicate;
  const body = (data: string, order: 'event first' | 'data first' = 'event first') => {
    const event = '"event":{"dt":"2022-01-24T15:44:47+00:00","events_id":"clients.update","object_id":7}';
    return order === 'event first' ? `{${event},"data":${data}}` : `{"data":${data},${event}}`;
  };

  it('tells apart payloads that differ only in numbers a double cannot hold, and still knows their repeats', async () => {
    const under = await open();
    close = under.close;
    const intake = new DurableIntake(under.store, { idempotencyWindowMs: 3_600_000 });
    // Both ids parse to the same double (12345678901234567000), as 1e400 and 1e401 both give Infinity.
    expect(await isRepeat(intake, body('{"account":12345678901234567891,"credit":10}'))).toBe(false);
    expect(await isRepeat(intake, body('{"account":12345678901234567892,"credit":10}'))).toBe(false);
    expect(await isRepeat(intake, body('{"credit":10,"account":12345678901234567892}', 'data first'))).toBe(true);
    expect(await isRepeat(intake, body('{"limit":1e400}'))).toBe(false);
    expect(await isRepeat(intake, body('{"limit":1e401}'))).toBe(false);
    expect(await isRepeat(intake, body('{"limit":1e401}'))).toBe(true);
    // Numbers a double holds exactly compare as values, however they are written.
    expect(await isRepeat(intake, body('{"limit":100000000000000000000}'))).toBe(false);
    expect(await isRepeat(intake, body('{"limit":1e20}'))).toBe(true);
  });
});
