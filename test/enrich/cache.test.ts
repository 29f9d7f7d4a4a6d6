import { describe, expect, it } from 'vitest';
import { LruTtlCache } from '../../src/enrich/cache.ts';

/** A clock the test moves by hand: expiry is tested without sleeping. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** A promise the test settles by hand: a load in flight. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('LruTtlCache', () => {
  it('keeps a value for its TTL and not a millisecond longer', () => {
    const c = clock();
    const cache = new LruTtlCache<string>({ maxEntries: 10, ttlMs: 60_000, now: c.now });
    cache.set('client:12', 'ACME');
    c.advance(59_999);
    expect(cache.get('client:12')).toBe('ACME');
    c.advance(1);
    expect(cache.get('client:12')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not extend the TTL on reads; storing again does', () => {
    const c = clock();
    const cache = new LruTtlCache<number>({ maxEntries: 10, ttlMs: 1_000, now: c.now });
    cache.set('a', 1);
    c.advance(900);
    expect(cache.get('a')).toBe(1);
    c.advance(200);
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 2);
    c.advance(900);
    expect(cache.get('a')).toBe(2);
  });

  it('drops the least recently used entry beyond its size; a read counts as a use', () => {
    const cache = new LruTtlCache<number>({ maxEntries: 3, ttlMs: 60_000, now: clock().now });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recent; b the least
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
  });

  it('replacing a key does not grow it, and makes it the most recent', () => {
    const cache = new LruTtlCache<number>({ maxEntries: 2, ttlMs: 60_000, now: clock().now });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBe(10);
    expect(cache.get('b')).toBeUndefined();
  });

  it('keeps nothing with a size or a TTL of 0', () => {
    for (const opts of [{ maxEntries: 0, ttlMs: 60_000 }, { maxEntries: 10, ttlMs: 0 }]) {
      const cache = new LruTtlCache<number>({ ...opts, now: clock().now });
      cache.set('a', 1);
      expect(cache.get('a')).toBeUndefined();
    }
  });

  describe('load', () => {
    it('loads once, then answers from the cache until the TTL ends', async () => {
      const c = clock();
      const cache = new LruTtlCache<string>({ maxEntries: 10, ttlMs: 1_000, now: c.now });
      let loads = 0;
      const loader = async () => `v${++loads}`;
      expect(await cache.load('k', loader)).toEqual({ value: 'v1', source: 'load' });
      expect(await cache.load('k', loader)).toEqual({ value: 'v1', source: 'cache' });
      c.advance(1_000);
      expect(await cache.load('k', loader)).toEqual({ value: 'v2', source: 'load' });
      expect(loads).toBe(2);
    });

    it('shares one load among everyone asking for the same key while it runs', async () => {
      const cache = new LruTtlCache<string>({ maxEntries: 10, ttlMs: 1_000, now: clock().now });
      const pending = deferred<string>();
      let loads = 0;
      const loader = () => (loads++, pending.promise);
      const first = cache.load('client:12', loader);
      const second = cache.load('client:12', loader);
      const fresh = cache.load('client:12', loader, { fresh: true });
      const other = cache.load('client:13', async () => 'other');
      pending.resolve('ACME');
      expect(await first).toEqual({ value: 'ACME', source: 'load' });
      expect(await second).toEqual({ value: 'ACME', source: 'shared' });
      expect(await fresh).toEqual({ value: 'ACME', source: 'shared' });
      expect(await other).toEqual({ value: 'other', source: 'load' });
      expect(loads).toBe(1);
    });

    it('gives every waiter the failure of a shared load, keeps nothing, and tries again next time', async () => {
      const cache = new LruTtlCache<string>({ maxEntries: 10, ttlMs: 1_000, now: clock().now });
      const pending = deferred<string>();
      const first = cache.load('k', () => pending.promise);
      const second = cache.load('k', () => Promise.resolve('never called'));
      pending.reject(new Error('CoreAPI down'));
      await expect(first).rejects.toThrow('CoreAPI down');
      await expect(second).rejects.toThrow('CoreAPI down');
      expect(cache.size).toBe(0);
      expect(await cache.load('k', async () => 'back')).toEqual({ value: 'back', source: 'load' });
    });

    it('turns a loader that throws at once into a failed load', async () => {
      const cache = new LruTtlCache<string>({ maxEntries: 10, ttlMs: 1_000, now: clock().now });
      await expect(
        cache.load('k', () => {
          throw new Error('sync');
        }),
      ).rejects.toThrow('sync');
      expect(await cache.load('k', async () => 'ok')).toEqual({ value: 'ok', source: 'load' });
    });

    it('fresh skips the cached value and stores the new one', async () => {
      const cache = new LruTtlCache<number>({ maxEntries: 10, ttlMs: 60_000, now: clock().now });
      cache.set('balance', 100);
      expect(await cache.load('balance', async () => 0, { fresh: true })).toEqual({ value: 0, source: 'load' });
      expect(cache.get('balance')).toBe(0);
    });
  });
});
