import fc from 'fast-check';
import { compileRegex, escapeRegex, type CompiledRegex } from './regex.matcher.js';

const regex = (source: string): CompiledRegex => {
  const result = compileRegex(source);
  if (!result.ok) throw new Error(`regex ${source} rejected: ${result.message}`);
  return result.regex;
};

describe(compileRegex.name, () => {
  it('searches for a match anywhere in the value (unanchored, like Go regexp.Match)', () => {
    expect(regex('ci').test('alice-ci-bot')).toBe(true);
  });

  it('honours anchors written in the pattern', () => {
    expect(regex('^ci$').test('alice-ci-bot')).toBe(false);
    expect(regex('^ci$').test('ci')).toBe(true);
  });

  it('treats $ as the end of the text, not before a final newline', () => {
    expect(regex('^ci$').test('ci\n')).toBe(false);
  });

  it('supports Go flag groups such as (?i)', () => {
    expect(regex('(?i)^ADMIN$').test('admin')).toBe(true);
  });

  it('supports Go named groups (?P<name>…)', () => {
    expect(regex('^(?P<team>[a-z]+)/').groups('web/app')).toEqual(['web']);
  });

  it.each([
    ['(', 'missing closing )'],
    ['a(?=b)', 'lookahead is not RE2'],
    ['(a)\\1', 'backreferences are not RE2'],
    ['a{1001}', 'repeat count over the RE2 limit'],
    ['[z-a]', 'reversed class range'],
  ])('rejects %j (%s)', (source) => {
    expect(compileRegex(source)).toMatchObject({ ok: false, message: expect.any(String) });
  });

  it('reports the parser message without the generic prefix', () => {
    expect(compileRegex('(')).toEqual({ ok: false, message: 'missing closing ): `(`' });
  });

  it('answers a catastrophic-backtracking pattern correctly (RE2 is linear)', () => {
    expect(regex('^(a+)+$').test(`${'a'.repeat(100_000)}!`)).toBe(false);
  });

  describe('groups', () => {
    it('returns groups 1..n of the leftmost match', () => {
      expect(regex('^([^@]+)@(.+)$').groups('bob@corp')).toEqual(['bob', 'corp']);
    });

    it('returns null when the value does not match', () => {
      expect(regex('^([^@]+)@').groups('bob')).toBeNull();
    });

    it('returns "" for a group that took no part in the match, as Go does', () => {
      expect(regex('^(a)|(b)$').groups('b')).toEqual(['', 'b']);
    });

    it('counts capture groups, not non-capturing ones', () => {
      expect(regex('(a)(?:b)(?P<c>c)').groupCount).toBe(2);
    });
  });
});

describe(escapeRegex.name, () => {
  it('makes every metacharacter literal', () => {
    expect(regex(`^${escapeRegex('a.*+?()[]{}|^$\\b')}$`).test('a.*+?()[]{}|^$\\b')).toBe(true);
    expect(regex(`^${escapeRegex('a.*')}$`).test('abc')).toBe(false);
  });

  it('escapes - so a value cannot form a range inside a class', () => {
    const sut = regex(`^[${escapeRegex('a-z')}]$`);
    expect(sut.test('m')).toBe(false);
    expect(sut.test('-')).toBe(true);
  });

  it('an escaped value, anchored, matches exactly itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (value, other) => {
        const sut = regex(`^${escapeRegex(value)}$`);
        expect(sut.test(value)).toBe(true);
        expect(sut.test(other)).toBe(other === value);
      }),
    );
  });
});
