import fc from 'fast-check';
import { MAX_ID_TOKEN_BYTES } from '../common/jwt-shape.js';
import { MAX_PASSWORD_BYTES, MAX_USERNAME_BYTES, parseAuthorization } from './basic-auth.js';

const basic = (decoded: string | Uint8Array): string => `Basic ${Buffer.from(decoded).toString('base64')}`;
const reasonOf = (header: string | string[] | undefined): string | undefined => {
  const result = parseAuthorization(header);
  return result.kind === 'invalid' ? result.reason : undefined;
};
const credentialsOf = (header: string | string[]): { user: string; password: string } => {
  const result = parseAuthorization(header);
  if (result.kind !== 'basic') throw new Error(`expected Basic credentials, got ${JSON.stringify(result)}`);
  return { user: result.user, password: result.password.reveal() };
};

describe(parseAuthorization.name, () => {
  describe('no credentials', () => {
    it('reads a missing header as no credentials', () => {
      expect(parseAuthorization(undefined)).toEqual({ kind: 'none' });
    });

    it('reads an empty list of header values as no credentials', () => {
      expect(parseAuthorization([])).toEqual({ kind: 'none' });
    });

    it('refuses an empty header instead of treating it as anonymous', () => {
      expect(reasonOf('')).toBe('malformed_authorization');
    });
  });

  describe('valid Basic credentials', () => {
    it('decodes user and password', () => {
      expect(credentialsOf(basic('alice:s3cret'))).toEqual({ user: 'alice', password: 's3cret' });
    });

    it.each(['basic', 'BASIC', 'bAsIc'])('accepts the scheme spelled %s', (scheme) => {
      const header = `${scheme} ${Buffer.from('alice:pw').toString('base64')}`;
      expect(credentialsOf(header)).toEqual({ user: 'alice', password: 'pw' });
    });

    it('splits on the first colon so passwords may contain colons', () => {
      expect(credentialsOf(basic('alice:a:b::c'))).toEqual({ user: 'alice', password: 'a:b::c' });
    });

    it('decodes UTF-8 in user and password', () => {
      expect(credentialsOf(basic('jürgen:pässwörd☃'))).toEqual({ user: 'jürgen', password: 'pässwörd☃' });
    });

    it('keeps a leading byte order mark as part of the user', () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('alice:pw')]);
      expect(credentialsOf(basic(bytes)).user).toBe('\uFEFFalice');
    });

    it('returns empty user and password as they are, for the caller to refuse', () => {
      expect(credentialsOf(basic(':'))).toEqual({ user: '', password: '' });
    });

    it('accepts several spaces after the scheme and surrounding whitespace', () => {
      expect(credentialsOf(`\t Basic   ${Buffer.from('alice:pw').toString('base64')} `)).toEqual({ user: 'alice', password: 'pw' });
    });

    it('accepts a list holding exactly one header value', () => {
      expect(credentialsOf([basic('alice:pw')])).toEqual({ user: 'alice', password: 'pw' });
    });

    it('wraps the password so it never prints', () => {
      const result = parseAuthorization(basic('alice:hunter2'));
      expect(JSON.stringify(result)).not.toContain('hunter2');
      expect(String(result.kind === 'basic' && result.password)).toBe('***');
    });
  });

  describe('header shape', () => {
    it('refuses more than one Authorization header', () => {
      expect(reasonOf([basic('alice:pw'), basic('bob:pw')])).toBe('multiple_authorization');
    });

    it('refuses two identical Authorization headers too', () => {
      expect(reasonOf([basic('alice:pw'), basic('alice:pw')])).toBe('multiple_authorization');
    });

    it.each(['Bearer abc.def.ghi', 'Digest username="alice"', 'Negotiate YWJj', 'Token'])('reports %s as an unsupported scheme', (header) => {
      expect(reasonOf(header)).toBe('unsupported_scheme');
    });

    it.each([
      ['the scheme alone', 'Basic'],
      ['the scheme followed by spaces only', 'Basic    '],
      ['a tab between scheme and credentials', 'Basic\tYWxpY2U6cHc='],
      ['no scheme', ' =YWxpY2U6cHc='],
      ['a scheme with a non-token character', 'Ba/sic YWxpY2U6cHc='],
    ])('refuses %s as malformed', (_, header) => {
      expect(reasonOf(header)).toBe('malformed_authorization');
    });
  });

  describe('strict base64', () => {
    it.each([
      ['missing padding', 'Basic YWxpY2U6cA'],
      ['a space inside', 'Basic YWxp Y2U6cHc='],
      ['a tab inside', 'Basic YWxp\tY2U6cHc='],
      ['a newline inside', 'Basic YWxp\nY2U6cHc='],
      ['the URL-safe alphabet', `Basic ${Buffer.from('a:>>>?').toString('base64url')}`],
      ['excess padding', 'Basic YWxpY2U6cHc=='],
      ['padding in the middle', 'Basic YQ==YWxpY2U6cHc='],
      ['non-zero trailing bits', 'Basic YWxpY2U6cR=='],
      ['characters outside the alphabet', 'Basic YWxpY2U6c*Hc='],
      ['a lone padding character', 'Basic ='],
    ])('refuses %s', (_, header) => {
      expect(reasonOf(header)).toBe('invalid_base64');
    });
  });

  describe('decoded content', () => {
    it.each([
      ['a stray continuation byte', [0x61, 0x80, 0x3a, 0x62]],
      ['a truncated sequence', [0x61, 0xc3, 0x3a, 0x62]],
      ['an overlong encoding of the colon', [0x61, 0xc0, 0xba, 0x62]],
      ['an encoded surrogate', [0x61, 0xed, 0xa0, 0x80, 0x3a, 0x62]],
      ['a byte never used in UTF-8', [0x61, 0xff, 0x3a, 0x62]],
    ])('refuses %s as invalid UTF-8', (_, bytes) => {
      expect(reasonOf(basic(Uint8Array.from(bytes)))).toBe('invalid_utf8');
    });

    it('refuses credentials without a colon', () => {
      expect(reasonOf(basic('alice'))).toBe('missing_colon');
    });

    it.each([
      ['NUL', 'ali\0ce'],
      ['a newline', 'alice\n'],
      ['an escape', '\u001b[31malice'],
      ['DEL', 'alice\u007f'],
      ['a C1 control', 'alice\u0085'],
    ])('refuses a username containing %s', (_, user) => {
      expect(reasonOf(basic(`${user}:pw`))).toBe('invalid_username');
    });

    it('accepts control characters other than CR, LF and NUL in the password', () => {
      expect(credentialsOf(basic('alice:p\tw\x7f\x1b')).password).toBe('p\tw\x7f\x1b');
    });
  });

  describe('size caps', () => {
    it(`accepts a username of exactly ${MAX_USERNAME_BYTES} bytes`, () => {
      expect(credentialsOf(basic(`${'a'.repeat(MAX_USERNAME_BYTES)}:pw`)).user).toHaveLength(MAX_USERNAME_BYTES);
    });

    it('refuses a username one byte over the cap', () => {
      expect(reasonOf(basic(`${'a'.repeat(MAX_USERNAME_BYTES + 1)}:pw`))).toBe('username_too_long');
    });

    it('counts the username cap in UTF-8 bytes, not characters', () => {
      const user = 'é'.repeat(MAX_USERNAME_BYTES / 2 + 1);
      expect(reasonOf(basic(`${user}:pw`))).toBe('username_too_long');
    });

    it(`accepts a password of exactly ${MAX_PASSWORD_BYTES} bytes`, () => {
      expect(credentialsOf(basic(`alice:${'p'.repeat(MAX_PASSWORD_BYTES)}`)).password).toHaveLength(MAX_PASSWORD_BYTES);
    });

    it('refuses a password one byte over the cap', () => {
      expect(reasonOf(basic(`alice:${'p'.repeat(MAX_PASSWORD_BYTES + 1)}`))).toBe('password_too_long');
    });

    it('counts the password cap in UTF-8 bytes, not characters', () => {
      expect(reasonOf(basic(`alice:${'€'.repeat(MAX_PASSWORD_BYTES / 3 + 1)}`))).toBe('password_too_long');
    });

    describe('with an oidc provider configured (idTokens)', () => {
      const jwtShaped = (bytes: number): string => {
        const head = 'eyJhbGciOiJFUzI1NiJ9.';
        return `${head}${'a'.repeat(bytes - head.length - 4)}.sig`;
      };
      const withTokens = (header: string) => parseAuthorization(header, { idTokens: true });

      it('accepts a JWT-shaped password longer than the password cap, up to 16 KiB', () => {
        expect(withTokens(basic(`ci:${jwtShaped(4096)}`)).kind).toBe('basic');
        expect(withTokens(basic(`ci:${jwtShaped(MAX_ID_TOKEN_BYTES)}`)).kind).toBe('basic');
      });

      it('refuses one over 16 KiB, and a long password that is not JWT-shaped', () => {
        expect(withTokens(basic(`ci:${jwtShaped(MAX_ID_TOKEN_BYTES + 1)}`))).toEqual({ kind: 'invalid', reason: 'password_too_long' });
        expect(withTokens(basic(`ci:${'p'.repeat(MAX_PASSWORD_BYTES + 1)}`))).toEqual({ kind: 'invalid', reason: 'password_too_long' });
      });

      it('keeps the password cap for JWT-shaped passwords when no provider takes tokens', () => {
        expect(reasonOf(basic(`ci:${jwtShaped(4096)}`))).toBe('password_too_long');
      });
    });

    it.each([
      ['LF', 'secret\nanything'],
      ['CR', 'secret\ranything'],
      ['NUL', 'secret\0anything'],
    ])('refuses a password with %s (a script reading a line would see only its start)', (_, password) => {
      expect(reasonOf(basic(`alice:${password}`))).toBe('invalid_password');
    });

    it('accepts other characters a password may hold: tabs, spaces, colons, emoji', () => {
      expect(credentialsOf(basic('alice:a\tb c:d 🔑')).password).toBe('a\tb c:d 🔑');
    });
  });

  describe('properties', () => {
    const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
    const user = fc
      .string({ unit: 'binary', maxLength: 64 })
      .filter((value) => !value.includes(':') && !/\p{Cc}/u.test(value) && bytes(value) <= MAX_USERNAME_BYTES);
    const password = fc.string({ unit: 'binary', maxLength: 256 }).filter((value) => bytes(value) <= MAX_PASSWORD_BYTES && !/[\r\n\0]/.test(value));

    it('round-trips any allowed user and any allowed password through base64', () => {
      fc.assert(
        fc.property(user, password, (u, p) => {
          expect(credentialsOf(basic(`${u}:${p}`))).toEqual({ user: u, password: p });
        }),
      );
    });

    it('refuses any password holding CR, LF or NUL, wherever it stands', () => {
      fc.assert(
        fc.property(
          user,
          password.filter((p) => bytes(p) < MAX_PASSWORD_BYTES),
          fc.constantFrom('\r', '\n', '\0'),
          fc.nat(),
          (u, p, breaker, at) => {
            const position = at % (p.length + 1);
            expect(reasonOf(basic(`${u}:${p.slice(0, position)}${breaker}${p.slice(position)}`))).toBe('invalid_password');
          },
        ),
      );
    });

    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    type Mutation = (canonical: string) => string | undefined;
    const insertAt =
      (position: number, char: string): Mutation =>
      (canonical) => {
        const at = 1 + (position % (canonical.length - 1));
        return canonical.slice(0, at) + char + canonical.slice(at);
      };
    const stripPadding: Mutation = (canonical) => (canonical.endsWith('=') ? canonical.replace(/=+$/, '') : undefined);
    const urlAlphabet: Mutation = (canonical) => (/[+/]/.test(canonical) ? canonical.replace(/\+/g, '-').replace(/\//g, '_') : undefined);
    const extraPadding =
      (count: number): Mutation =>
      (canonical) =>
        canonical + '='.repeat(count);
    // The last data character before padding carries unused low bits, zero in canonical output.
    const trailingBits: Mutation = (canonical) => {
      if (!canonical.endsWith('=')) return undefined;
      const at = canonical.length - (canonical.endsWith('==') ? 3 : 2);
      const value = ALPHABET.indexOf(canonical[at]);
      return canonical.slice(0, at) + ALPHABET[value | 1] + canonical.slice(at + 1);
    };
    const mutation = fc.oneof(
      fc.tuple(fc.nat(), fc.constantFrom(' ', '\t', '\n', '\r', '\0', '.', '-', '_', '=', '*', 'é')).map(([position, char]) => insertAt(position, char)),
      fc.constant(stripPadding),
      fc.constant(urlAlphabet),
      fc.integer({ min: 1, max: 4 }).map(extraPadding),
      fc.constant(trailingBits),
    );

    it('refuses every non-canonical variant of a base64 encoding', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), mutation, (data, mutate) => {
          const variant = mutate(Buffer.from(data).toString('base64'));
          fc.pre(variant !== undefined);
          expect(reasonOf(`Basic ${variant}`)).toBe('invalid_base64');
        }),
      );
    });
  });
});
