import { LruCache } from './lru.cache.js';

describe(LruCache.name, () => {
  it('returns stored values', () => {
    const sut = new LruCache<string, number>(2);
    sut.set('a', 1);
    expect(sut.get('a')).toBe(1);
  });

  it('forgets the least recently used entry beyond its capacity', () => {
    const sut = new LruCache<string, number>(2);
    sut.set('a', 1);
    sut.set('b', 2);
    sut.get('a');
    sut.set('c', 3);
    expect([sut.has('a'), sut.has('b'), sut.has('c')]).toEqual([true, false, true]);
    expect(sut.size).toBe(2);
  });

  it('computes a missing value once and caches falsy results', () => {
    const sut = new LruCache<string, null>(2);
    let calls = 0;
    const compute = () => {
      calls++;
      return null;
    };
    sut.getOrCompute('x', compute);
    sut.getOrCompute('x', compute);
    expect(calls).toBe(1);
  });

  it('rejects a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
