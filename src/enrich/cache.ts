export interface CacheOptions {
  /** Most entries kept; the least recently used go first. 0: nothing is kept. */
  maxEntries: number;
  /** How long an entry is used after it was stored. 0: nothing is kept. */
  ttlMs: number;
  now?: () => number;
}

/** Where a loaded value came from. */
export type Source = 'cache' | 'load' | 'shared';

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A least-recently-used cache whose entries expire, and which shares loads in flight: callers asking
 * for a key that is being loaded wait for that load instead of starting another. Failed loads are not
 * kept; the next caller tries again.
 */
export class LruTtlCache<V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inflight = new Map<string, Promise<V>>();
  private readonly now: () => number;

  constructor(private readonly options: CacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const { maxEntries, ttlMs } = this.options;
    if (maxEntries <= 0 || ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /**
   * The cached value, else the result of a load in flight for the key, else a new load (stored when
   * it succeeds). `fresh` skips the cached value, not a load in flight: that one started no earlier.
   */
  async load(key: string, loader: () => Promise<V>, options: { fresh?: boolean } = {}): Promise<{ value: V; source: Source }> {
    if (!options.fresh) {
      const cached = this.get(key);
      if (cached !== undefined) return { value: cached, source: 'cache' };
    }
    const running = this.inflight.get(key);
    if (running) return { value: await running, source: 'shared' };
    const started = (async () => loader())();
    this.inflight.set(key, started);
    try {
      const value = await started;
      this.set(key, value);
      return { value, source: 'load' };
    } finally {
      this.inflight.delete(key);
    }
  }
}
