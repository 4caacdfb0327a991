/**
 * Results of one process's work that several detectors ask for moments apart (an object read
 * from the work area, a decoded crop): the first caller's promise is shared with the others.
 * Bounded by bytes, oldest first; entries also expire after `ttlMs`, and one asked for a known
 * number of times goes after its last use. A failed result is never kept.
 */

interface Entry<T> {
  value: Promise<T>;
  bytes: number;
  at: number;
  /** Uses still expected before the entry goes (Infinity: until evicted or expired). */
  usesLeft: number;
}

export class SharedResults<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private bytes = 0;

  /** @param sizeOf bytes a result holds */
  constructor(
    private readonly sizeOf: (value: T) => number,
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The result under `key`: `load`ed by the first caller; `uses` callers in all are expected. */
  get(key: string, load: () => Promise<T>, uses = Infinity): Promise<T> {
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) {
      cached.usesLeft -= 1;
      if (cached.usesLeft <= 0) this.forget(key);
      return cached.value;
    }
    if (cached) this.forget(key);
    const value = load();
    const entry: Entry<T> = { value, bytes: 0, at: this.now(), usesLeft: uses - 1 };
    if (entry.usesLeft <= 0) return value;
    this.entries.set(key, entry);
    value.then(
      (result) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = this.sizeOf(result);
        this.bytes += entry.bytes;
        this.evict();
      },
      () => this.forget(key, entry),
    );
    return value;
  }

  /** Drops the result under `key` (its source changed). */
  forget(key: string, only?: Entry<T>): void {
    const entry = this.entries.get(key);
    if (!entry || (only && entry !== only)) return;
    this.bytes -= entry.bytes;
    this.entries.delete(key);
  }

  /** Bytes of the results held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes && now - entry.at < this.ttlMs) break;
      this.forget(key);
    }
  }
}
