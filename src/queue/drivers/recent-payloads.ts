/**
 * The fingerprints of the payloads received within the idempotency window, in memory, with the
 * times they arrived: where the SQLite driver looks for a repeat. An index on the fingerprint in
 * the database would take a random page at every insert, and writing those pages cost a third of
 * what accepting an event cost; the times here lead to the rows through the index on received_at.
 *
 * A day of events is held, so each takes as little as V8 allows: a small integer for its key and
 * one for its time (about 30 bytes, where a string and an array took 120). Two fingerprints may
 * share a key; that costs a lookup that finds nothing, never a missed repeat, because the rows
 * found are compared by fingerprint and payload.
 */
export class RecentPayloads {
  /** key → when each distinct payload with it arrived, as ms after `base`; insertion order is arrival order. */
  private readonly byKey = new Map<number, number | number[]>();
  /** Everything that arrived since this time is here. */
  private heldSince: number | undefined;
  /** What times are counted from: small numbers are stored unboxed. */
  private base = 0;

  /**
   * @param load the fingerprints of events (not duplicates) received since a time, oldest first:
   *   read once, when the first event arrives, so that a restart forgets nothing.
   */
  constructor(private readonly load: (since: number) => Iterable<{ fingerprint: string; received_at: number }>) {}

  /** When earlier payloads that may have this fingerprint arrived within the window (oldest first). */
  candidates(fingerprint: string, since: number): readonly number[] {
    // Requests are committed in batches, not quite in order of arrival: kept a minute longer than
    // asked, so that a slightly earlier `since` next time needs no reload.
    const keep = since - 60_000;
    if (this.heldSince === undefined || since < this.heldSince) this.reload(keep);
    this.forgetBefore(keep);
    const times = this.byKey.get(fingerprintKey(fingerprint));
    if (times === undefined) return [];
    return (typeof times === 'number' ? [times] : times).map((t) => t + this.base).filter((t) => t >= since);
  }

  /** Records a payload that was not a repeat. */
  add(fingerprint: string, receivedAt: number): void {
    const k = fingerprintKey(fingerprint);
    const t = receivedAt - this.base;
    const times = this.byKey.get(k);
    // Moved to the end, so that the map stays in order of the latest arrival.
    this.byKey.delete(k);
    this.byKey.set(k, times === undefined ? t : typeof times === 'number' ? [times, t] : [...times, t]);
  }

  private reload(since: number): void {
    this.byKey.clear();
    this.base = since;
    for (const row of this.load(since)) this.add(row.fingerprint, row.received_at);
    this.heldSince = since;
  }

  private forgetBefore(since: number): void {
    this.heldSince = Math.max(this.heldSince ?? since, since);
    for (const [k, times] of this.byKey) {
      const latest = typeof times === 'number' ? times : times[times.length - 1]!;
      if (latest + this.base >= since) break;
      this.byKey.delete(k);
    }
    if (this.heldSince - this.base > REBASE_AFTER_MS) this.rebase(this.heldSince);
  }

  /** Counts times from a later base, so that those of a server up for weeks stay small. */
  private rebase(base: number): void {
    const by = base - this.base;
    for (const [k, times] of this.byKey) this.byKey.set(k, typeof times === 'number' ? times - by : times.map((t) => t - by));
    this.base = base;
  }
}

/** Half the range of V8's small integers, in ms: about six days. */
const REBASE_AFTER_MS = 2 ** 29;

/** A fingerprint as a 30-bit integer, which V8 keeps unboxed in a Map. */
export function fingerprintKey(fingerprint: string): number {
  let h = 0;
  for (let i = 0; i < fingerprint.length; i++) h = Math.imul(h, 31) + fingerprint.charCodeAt(i);
  return h & 0x3fffffff;
}
