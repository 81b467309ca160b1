import { EMPTY_LABELS, LABEL_LIMITS, LabelError, mergeLabels, toLabels } from './labels.js';

describe(toLabels.name, () => {
  it('turns a single string into a one-element list and collapses duplicates', () => {
    expect(toLabels({ group: ['a', 'b', 'a'], level: 'max' })).toEqual({ group: ['a', 'b'], level: ['max'] });
  });

  it('builds a frozen object without a prototype', () => {
    const sut = toLabels({ group: ['a'] });
    expect(Object.getPrototypeOf(sut)).toBeNull();
    expect(Object.isFrozen(sut)).toBe(true);
    expect(Object.isFrozen(sut.group)).toBe(true);
  });

  it('gives no labels for null or undefined', () => {
    expect(toLabels(null)).toEqual(EMPTY_LABELS);
    expect(toLabels(undefined)).toEqual(EMPTY_LABELS);
  });

  it('drops keys that could pollute a prototype and the empty key: no rule can name them', () => {
    const input = JSON.parse('{"__proto__": ["x"], "constructor": ["y"], "": ["z"], "group": ["a"]}') as unknown;
    expect(Object.keys(toLabels(input))).toEqual(['group']);
  });

  it.each([
    ['a list', ['group']],
    ['a number', 42],
    ['a string', 'group'],
  ])('refuses %s instead of a map', (_case, input) => {
    expect(() => toLabels(input)).toThrow(LabelError);
  });

  it('refuses a value that is not a string rather than dropping it', () => {
    expect(() => toLabels({ blocked: [true] })).toThrow('label "blocked" has a value that is not a string');
  });

  it('accepts exactly the limit of values for a key', () => {
    const values = Array.from({ length: LABEL_LIMITS.valuesPerKey }, (_, i) => `g${i}`);
    expect(toLabels({ group: values }).group).toHaveLength(LABEL_LIMITS.valuesPerKey);
  });

  it('refuses one value more than the limit rather than cutting the list (the last value might be the one a deny rule needs)', () => {
    const values = [...Array.from({ length: LABEL_LIMITS.valuesPerKey }, (_, i) => `g${i}`), 'zz-blocked'];
    expect(() => toLabels({ group: values })).toThrow(
      `label "group" has ${LABEL_LIMITS.valuesPerKey + 1} values, more than the ${LABEL_LIMITS.valuesPerKey} accepted`,
    );
  });

  it('refuses too many keys, an overlong key and an overlong value', () => {
    const keys = Object.fromEntries(Array.from({ length: LABEL_LIMITS.keys + 1 }, (_, i) => [`k${i}`, ['v']]));
    expect(() => toLabels(keys)).toThrow(`${LABEL_LIMITS.keys + 1} label names`);
    expect(() => toLabels({ ['k'.repeat(LABEL_LIMITS.keyBytes + 1)]: ['v'] })).toThrow(/label name "k{40}…" is 129 bytes/);
    expect(() => toLabels({ group: ['v'.repeat(LABEL_LIMITS.valueBytes + 1)] })).toThrow(`a ${LABEL_LIMITS.valueBytes + 1}-byte value`);
  });

  it('refuses labels whose total size passes the overall bound', () => {
    const big = Array.from({ length: LABEL_LIMITS.valuesPerKey }, (_, i) => `${i}`.padEnd(1000, 'x'));
    expect(() => toLabels({ a: big, b: big, c: big })).toThrow(`labels exceed ${LABEL_LIMITS.totalBytes} bytes in all`);
  });
});

describe(mergeLabels.name, () => {
  it('appends the values of later sets and drops duplicates', () => {
    expect(mergeLabels(toLabels({ g: ['a'] }), toLabels({ g: ['a', 'b'], h: ['c'] }))).toEqual({ g: ['a', 'b'], h: ['c'] });
  });
});
