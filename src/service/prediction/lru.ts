/**
 * A bounded map that forgets its least recently used entries, and entries past their
 * expiry time; `onEvict` releases what an entry holds (tensors).
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxSize: number,
    private readonly onEvict: (value: V, key: K) => void,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    // Map keeps insertion order: re-inserting makes this the most recently used entry.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, expiresAt = Infinity): void {
    this.delete(key);
    this.entries.set(key, { value, expiresAt });
    this.sweep();
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxSize) break;
      this.delete(oldest);
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.onEvict(entry.value, key);
    return true;
  }

  /** Drops every entry `match` selects. */
  deleteWhere(match: (value: V, key: K) => boolean): void {
    for (const [key, entry] of [...this.entries]) if (match(entry.value, key)) this.delete(key);
  }

  /** Drops expired entries. */
  sweep(): void {
    const now = Date.now();
    this.deleteWhere((_, key) => this.entries.get(key)!.expiresAt <= now);
  }
}
