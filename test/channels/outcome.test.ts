import { describe, expect, it } from 'vitest';
import { networkOutcome } from '../../src/channels/outcome.ts';
import { freePort } from '../support/ports.ts';

describe('network errors', () => {
  it('names the refused connection behind fetch\'s "fetch failed"', async () => {
    const error = await fetch(`http://127.0.0.1:${await freePort()}/`).catch((e: unknown) => e);
    expect(networkOutcome(error)).toEqual({ ok: false, retry: true, reason: expect.stringMatching(/^network error: fetch failed: .*ECONNREFUSED/) });
  });

  it('keeps a message that names the real cause beside a generic code', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' });
    expect(networkOutcome(error)).toEqual({ ok: false, retry: true, reason: 'network error: connect ECONNREFUSED 127.0.0.1:2525: ESOCKET' });
  });

  it('says a timeout is a timeout', () => {
    expect(networkOutcome(new DOMException('The operation timed out.', 'TimeoutError'))).toEqual({ ok: false, retry: true, reason: 'network error: timed out' });
  });
});
