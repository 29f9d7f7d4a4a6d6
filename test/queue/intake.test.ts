import { afterEach, describe, expect, it } from 'vitest';
import { DurableIntake } from '../../src/queue/intake.ts';
import type { NewEvent, Store } from '../../src/queue/store.ts';
import { postEvent } from '../support/post-event.ts';
import { tempStore } from '../support/store.ts';

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
