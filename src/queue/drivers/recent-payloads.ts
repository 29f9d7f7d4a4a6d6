/**
 * The fingerprints of the payloads received within the idempotency window, in memory, with the
 * times they arrived: where the SQLite driver looks for a repeat. An index on the fingerprint in
 * the database would take a random page at every insert, and writing those pages cost a third of
 * what accepting an event cost; the times here lead to the rows through the index on received_at.
 *
 * A day of events is held, so each takes as little as it can: a slot of two typed arrays outside
 * V8's heap (a 32-bit hash of the fingerprint, and the arrival in ms after the table's base), in a
 * table kept between two fifths and four fifths full: about 13 bytes an event, where a Map took 40
 * to 70, counted in RSS, and was copied whole, in the heap, each time it doubled. Two fingerprints
 * may share a hash; that costs a lookup that finds nothing, never a missed repeat, because the
 * rows found are compared by fingerprint and payload.
 */
export class RecentPayloads {
  /** Open addressing with linear probing: a fingerprint's hash in each used slot (0: free). */
  private hashes = new Uint32Array(MIN_SLOTS);
  /** When it arrived, in ms after `base`. */
  private times = new Uint32Array(MIN_SLOTS);
  private base = 0;
  private used = 0;
  /** Everything that arrived since this time is here (older arrivals may be too, until the next rebuild). */
  private heldSince: number | undefined;

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
    else this.heldSince = Math.max(this.heldSince, keep);
    const hash = hashOf(fingerprint);
    const found: number[] = [];
    const mask = this.hashes.length - 1;
    for (let i = slotOf(hash, mask); this.hashes[i] !== 0; i = (i + 1) & mask) {
      const at = this.base + this.times[i]!;
      if (this.hashes[i] === hash && at >= since) found.push(at);
    }
    return found.sort((a, b) => a - b);
  }

  /** Records a payload that was not a repeat. */
  add(fingerprint: string, receivedAt: number): void {
    if ((this.used + 1) * 5 > this.hashes.length * 4 || receivedAt - this.base > MAX_OFFSET_MS) this.rebuild();
    // Older than all that is kept: no one's candidate.
    if (receivedAt < this.base) return;
    this.insert(hashOf(fingerprint), receivedAt - this.base);
  }

  private insert(hash: number, offset: number): void {
    const mask = this.hashes.length - 1;
    let i = slotOf(hash, mask);
    while (this.hashes[i] !== 0) i = (i + 1) & mask;
    this.hashes[i] = hash;
    this.times[i] = offset;
    this.used++;
  }

  private reload(since: number): void {
    this.hashes = new Uint32Array(MIN_SLOTS);
    this.times = new Uint32Array(MIN_SLOTS);
    this.base = since;
    this.used = 0;
    this.heldSince = since;
    for (const row of this.load(since)) this.add(row.fingerprint, row.received_at);
  }

  /**
   * Drops what left the window and moves the rest to a table at most two fifths full, so that it
   * takes as many again before the next rebuild; times count from the window's start again.
   */
  private rebuild(): void {
    const [hashes, times, base] = [this.hashes, this.times, this.base];
    const since = Math.max(this.heldSince ?? base, base);
    const kept = (i: number) => hashes[i] !== 0 && base + times[i]! >= since;
    let live = 0;
    for (let i = 0; i < hashes.length; i++) if (kept(i)) live++;
    let slots = MIN_SLOTS;
    while (slots * 2 < (live + 1) * 5) slots *= 2;
    this.hashes = new Uint32Array(slots);
    this.times = new Uint32Array(slots);
    this.base = since;
    this.used = 0;
    for (let i = 0; i < hashes.length; i++) if (kept(i)) this.insert(hashes[i]!, base + times[i]! - since);
  }
}

const MIN_SLOTS = 1024;
/** Offsets are 32-bit: past this (about 49 days after the base) the table is rebuilt from a later base. */
const MAX_OFFSET_MS = 2 ** 32 - 1;

/** A slot's home: the top bits of the hash, as many as the table has slots. */
const slotOf = (hash: number, mask: number) => hash >>> Math.clz32(mask);

/** A fingerprint as a nonzero 32-bit number (Fibonacci hashing of its characters' polynomial hash). */
export function hashOf(fingerprint: string): number {
  let h = 0;
  for (let i = 0; i < fingerprint.length; i++) h = Math.imul(h, 31) + fingerprint.charCodeAt(i);
  return Math.imul(h, 0x9e3779b1) >>> 0 || 1;
}
