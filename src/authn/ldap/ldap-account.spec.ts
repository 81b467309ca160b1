import type { Entry } from 'ldapts';
import { canonicalAccount } from './ldap-account.js';

const DN = 'uid=jsmith,ou=people,dc=example,dc=org';
const entry = (attributes: Record<string, string | string[]>): Entry => ({ dn: DN, ...attributes });

describe('canonicalAccount', () => {
  it("takes the single value of the attribute, whatever the server's spelling of its name", () => {
    expect(canonicalAccount(entry({ UID: 'jsmith' }), 'uid')).toBe('jsmith');
  });

  it.each([
    ['absent', entry({ cn: 'John Smith' })],
    ['empty', entry({ uid: '' })],
  ])('fails when the attribute is %s', (_case, sut) => {
    expect(() => canonicalAccount(sut, 'uid')).toThrow(expect.objectContaining({ code: 'account_attribute_missing' }));
  });

  it('refuses several values rather than take whichever the server sends first', () => {
    expect(() => canonicalAccount(entry({ uid: ['jsmith', 'john.smith'] }), 'uid')).toThrow(
      expect.objectContaining({ code: 'account_attribute_invalid', message: expect.stringMatching(/2 values of uid/) }),
    );
  });

  it.each([
    ['a control character', 'j\u0007smith'],
    ['a NUL byte', 'jsmith\0'],
    ['a line break', 'jsmith\nadmin'],
    ['more than 256 bytes', 'é'.repeat(129)],
  ])('refuses a value with %s, which no typed user name may have', (_case, value) => {
    expect(() => canonicalAccount(entry({ uid: value }), 'uid')).toThrow(expect.objectContaining({ code: 'account_attribute_invalid' }));
  });

  it('accepts a value of exactly 256 bytes', () => {
    expect(canonicalAccount(entry({ uid: 'é'.repeat(128) }), 'uid')).toBe('é'.repeat(128));
  });
});
