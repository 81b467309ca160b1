/**
 * A size-bounded map that forgets the least recently used entry. Patterns with placeholders are
 * compiled per substituted string; this keeps repeated requests from recompiling while capping
 * memory no matter how many distinct accounts or names clients send.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('LRU capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Returns the cached value and marks it as most recently used. */
  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  /** `get`, or compute, store and return. Stored values may be falsy (e.g. `null` for "invalid"). */
  getOrCompute(key: K, compute: () => V): V {
    if (this.entries.has(key)) return this.get(key) as V;
    const value = compute();
    this.set(key, value);
    return value;
  }
}
