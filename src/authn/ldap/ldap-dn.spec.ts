import { firstCommonName, parseDn } from './ldap-dn.js';

describe('parseDn', () => {
  it('splits RDNs and multi-valued RDNs', () => {
    expect(parseDn('cn=a+uid=b,ou=people,dc=example')).toEqual([
      [
        { type: 'cn', value: 'a' },
        { type: 'uid', value: 'b' },
      ],
      [{ type: 'ou', value: 'people' }],
      [{ type: 'dc', value: 'example' }],
    ]);
  });

  it('reads escaped separators and hex pairs as part of the value', () => {
    expect(parseDn('cn=Smith\\, John,o=J\\C3\\BCrgen')).toEqual([[{ type: 'cn', value: 'Smith, John' }], [{ type: 'o', value: 'Jürgen' }]]);
  });

  it('allows spaces after separators, as people write DNs', () => {
    expect(parseDn('cn=Developers, ou=groups, dc=example')?.map((r) => r[0].value)).toEqual(['Developers', 'groups', 'example']);
  });

  it('reads the empty string as the root DN', () => {
    expect(parseDn('')).toEqual([]);
  });

  it.each(['developers', 'cn=a,', 'cn=a\\', '=x', 'cn=a"b', 'c n=x'])('refuses %j', (text) => {
    expect(parseDn(text)).toBeNull();
  });
});

describe('firstCommonName (parse_cn)', () => {
  it('takes the first CN of a DN', () => {
    expect(firstCommonName('cn=Developers,ou=groups,dc=example,dc=org')).toBe('Developers');
  });

  it('matches the attribute type in any case and skips RDNs that are not CN', () => {
    expect(firstCommonName('uid=x,CN=Ops,cn=Other,dc=example')).toBe('Ops');
  });

  it('keeps escaped commas inside the name', () => {
    expect(firstCommonName('cn=R\\26D\\, Berlin,ou=groups')).toBe('R&D, Berlin');
  });

  it.each(['Developers', 'ou=groups,dc=example'])('returns %j unchanged when it has no CN', (value) => {
    expect(firstCommonName(value)).toBe(value);
  });
});
