import fc from 'fast-check';
import { compileGlob, escapeGlob } from './glob.matcher.js';

const matches = (pattern: string, value: string): boolean => {
  const result = compileGlob(pattern);
  if (!result.ok) throw new Error(`pattern ${pattern} rejected: ${result.message}`);
  return result.glob.test(value);
};

describe(compileGlob.name, () => {
  describe('Go path.Match semantics', () => {
    it.each([
      ['abc', 'abc', true],
      ['abc', 'abd', false],
      ['abc', 'ab', false],
      ['*', 'abc', true],
      ['*', '', true],
      ['*c', 'abc', true],
      ['a*', 'a', true],
      ['a*', 'abc', true],
      ['a*', 'ab/c', false],
      ['a*/b', 'abc/b', true],
      ['a*/b', 'a/c/b', false],
      ['a/*', 'a/b', true],
      ['a/*', 'a/b/c', false],
      ['*/*', 'a/b', true],
      ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
      ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
      ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
      ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
      ['a*b?c*x', 'abxbbxdbxebxczzx', true],
      ['a*b?c*x', 'abxbbxdbxebxczzy', false],
      ['*x', 'xxx', true],
      ['a?b', 'axb', true],
      ['a?b', 'ab', false],
      ['a?b', 'a/b', false],
      ['a?b', 'a☺b', true],
      ['a???b', 'a☺b', false],
      ['a?b', 'a😀b', true],
      ['ab[c]', 'abc', true],
      ['ab[b-d]', 'abc', true],
      ['ab[e-g]', 'abc', false],
      ['ab[^c]', 'abc', false],
      ['ab[^b-d]', 'abc', false],
      ['ab[^e-g]', 'abc', true],
      ['a[^a]b', 'a☺b', true],
      ['a[^a][^a][^a]b', 'a☺b', false],
      ['[a-ζ]*', 'α', true],
      ['*[a-ζ]', 'A', false],
      ['[!a]', '!', true],
      ['[!a]', 'b', false],
      ['[\\]a]', ']', true],
      ['[\\-]', '-', true],
      ['[x\\-]', 'x', true],
      ['[x\\-]', '-', true],
      ['[x\\-]', 'z', false],
      ['[\\-x]', '-', true],
      ['[\\-x]', 'a', false],
      ['[*]', '*', true],
      ['[*]', 'a', false],
      ['[^a]', '/', true],
      ['[z-a]', 'm', false],
      ['[^z-a]', 'm', true],
      ['a\\*b', 'a*b', true],
      ['a\\*b', 'ab', false],
      ['a\\*b', 'axb', false],
      ['\\a\\b', 'ab', true],
      ['a.b', 'a.b', true],
      ['a.b', 'axb', false],
      ['a+', 'aa', false],
      ['(a|b)', '(a|b)', true],
      ['^a$', '^a$', true],
      ['a{1,2}', 'a{1,2}', true],
    ])('%j matches %j: %s', (pattern, value, expected) => {
      expect(matches(pattern, value)).toBe(expected);
    });
  });

  describe('the empty pattern', () => {
    it('matches only the empty string', () => {
      expect(matches('', '')).toBe(true);
      expect(matches('', 'a')).toBe(false);
    });
  });

  describe('the ** extension', () => {
    it.each([
      ['**', 'a/b/c', true],
      ['**', '', true],
      ['team/**', 'team/app/tools', true],
      ['team/**', 'team/', true],
      ['team/**', 'team', false],
      ['team/**', 'other/app', false],
      ['**/cache', 'a/b/cache', true],
      ['**/cache', 'a/b/cache/x', false],
      ['**a/*', 'a/b/a/c', true],
      ['a/**/z', 'a/b/c/z', true],
      ['***', 'a/b', true],
    ])('%j matches %j: %s', (pattern, value, expected) => {
      expect(matches(pattern, value)).toBe(expected);
    });
  });

  describe('without the ** extension (docker_auth configs)', () => {
    const goMatches = (pattern: string, value: string): boolean => {
      const result = compileGlob(pattern, { globstar: false });
      if (!result.ok) throw new Error(result.message);
      return result.glob.test(value);
    };

    it.each([
      ['team/**', 'team/app', true],
      ['team/**', 'team/app/tools', false],
      ['**', 'a/b', false],
      ['**', 'ab', true],
    ])('%j matches %j: %s, as in Go path.Match', (pattern, value, expected) => {
      expect(goMatches(pattern, value)).toBe(expected);
    });
  });

  it('lets * match a newline, as Go does', () => {
    expect(matches('a*b', 'a\nb')).toBe(true);
  });

  describe('malformed patterns', () => {
    it.each(['\\', 'a\\', '[', '[^', '[^bc', 'a[', 'a/b[', '[]a]', '[-]', '[x-]', '[-x]', '[a-b-c]', '[a', '[\\'])('rejects %j', (pattern) => {
      expect(compileGlob(pattern)).toMatchObject({ ok: false });
    });

    it('names the problem', () => {
      expect(compileGlob('team/[abc')).toEqual({ ok: false, message: 'unclosed character class' });
    });
  });

  describe('properties', () => {
    const plain = fc.string({ unit: 'binary' }).filter((s) => !/[*?[\\]/.test(s));

    it('a pattern without metacharacters matches only itself', () => {
      fc.assert(
        fc.property(plain, fc.string({ unit: 'binary' }), (pattern, other) => {
          expect(matches(pattern, pattern)).toBe(true);
          expect(matches(pattern, other)).toBe(other === pattern);
        }),
      );
    });

    it('an escaped value matches only itself', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (value, other) => {
          const sut = escapeGlob(value);
          expect(matches(sut, value)).toBe(true);
          expect(matches(sut, other)).toBe(other === value);
        }),
      );
    });

    it('an escaped value is a literal inside a class too', () => {
      fc.assert(
        fc.property(fc.constantFrom('-', ']', '^', '\\', '*', '?', '['), (ch) => {
          const sut = `[${escapeGlob(ch)}]`;
          expect(matches(sut, ch)).toBe(true);
          expect(matches(sut, 'a')).toBe(false);
        }),
      );
    });

    it('* never matches a value containing /, ** matches everything', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (value) => {
          expect(matches('*', value)).toBe(!value.includes('/'));
          expect(matches('**', value)).toBe(true);
        }),
      );
    });
  });
});
