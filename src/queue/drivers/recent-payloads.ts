/**
 * The fingerprints of the payloads received within the idempotency window, in memory, with the
 * times they arrived: where the SQLite driver looks for a repeat. An index on the fingerprint in
 * the database would take a random page at every insert, and writing those pages cost a third of
 * what accepting an event cost; the times here lead to the rows through the index on received_at.
 */
export class RecentPayloads {
  /** fingerprint → when each distinct payload with it arrived; insertion order is arrival order. */
  private readonly byFingerprint = new Map<string, number[]>();
  /** Everything that arrived since this time is here. */
  private heldSince: number | undefined;

  /**
   * @param load the fingerprints of events (not duplicates) received since a time, oldest first:
   *   read once, when the first event arrives, so that a restart forgets nothing.
   */
  constructor(private readonly load: (since: number) => Iterable<{ fingerprint: string; received_at: number }>) {}

  /** When earlier payloads with this fingerprint arrived within the window (oldest first). */
  candidates(fingerprint: string, since: number): readonly number[] {
    // Requests are committed in batches, not quite in order of arrival: kept a minute longer than
    // asked, so that a slightly earlier `since` next time needs no reload.
    const keep = since - 60_000;
    if (this.heldSince === undefined || since < this.heldSince) this.reload(keep);
    this.forgetBefore(keep);
    return (this.byFingerprint.get(fingerprint) ?? []).filter((t) => t >= since);
  }

  /** Records a payload that was not a repeat. */
  add(fingerprint: string, receivedAt: number): void {
    const times = this.byFingerprint.get(fingerprint);
    // Moved to the end, so that the map stays in order of the latest arrival.
    this.byFingerprint.delete(fingerprint);
    this.byFingerprint.set(fingerprint, times ? [...times, receivedAt] : [receivedAt]);
  }

  private reload(since: number): void {
    this.byFingerprint.clear();
    for (const row of this.load(since)) this.add(row.fingerprint, row.received_at);
    this.heldSince = since;
  }

  private forgetBefore(since: number): void {
    this.heldSince = Math.max(this.heldSince ?? since, since);
    for (const [fingerprint, times] of this.byFingerprint) {
      if (times[times.length - 1]! >= since) break;
      this.byFingerprint.delete(fingerprint);
    }
  }
}
