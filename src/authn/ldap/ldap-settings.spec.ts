import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ldapProviderSchema } from './ldap.schema.js';
import { ldapTargets, resolveLdapSettings } from './ldap-settings.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function config(input: Record<string, unknown>) {
  return ldapProviderSchema.parse({ type: 'ldap', base: 'dc=example,dc=org', filter: '(uid=${account})', ...input });
}

describe('ldapTargets', () => {
  it.each([
    ['ldap.example.com:636', undefined, { security: 'ldaps', label: 'ldaps://ldap.example.com:636' }],
    ['ldap.example.com:636', '', { security: 'ldaps' }],
    ['ldap.example.com:389', undefined, { security: 'plain', label: 'ldap://ldap.example.com:389' }],
    ['ldap.example.com:389', 'none', { security: 'plain' }],
    ['ldap.example.com:389', 'starttls', { security: 'starttls', label: 'ldap://ldap.example.com:389 (starttls)' }],
    ['ldap.example.com:1636', 'always', { security: 'ldaps' }],
    ['[::1]:389', undefined, { host: '::1', port: 389, label: 'ldap://[::1]:389' }],
  ])('reads docker_auth addr %s with tls %j', (addr, tls, expected) => {
    expect(ldapTargets({ addr, tls: tls as never })).toEqual([expect.objectContaining(expected)]);
  });

  it('reads a URL list in order, with default ports', () => {
    expect(ldapTargets({ url: ['ldaps://a.example.com', 'ldap://b.example.com', 'ldap://[::1]:1389'] })).toEqual([
      { host: 'a.example.com', port: 636, security: 'ldaps', label: 'ldaps://a.example.com:636' },
      { host: 'b.example.com', port: 389, security: 'plain', label: 'ldap://b.example.com:389' },
      { host: '::1', port: 1389, security: 'plain', label: 'ldap://[::1]:1389' },
    ]);
  });

  it('upgrades ldap:// URLs with tls: starttls', () => {
    expect(ldapTargets({ url: 'ldap://a.example.com', tls: 'starttls' })[0].security).toBe('starttls');
  });
});

describe('resolveLdapSettings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-ldap-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const service = { url: 'ldaps://ldap.example.com', bind_dn: 'cn=reader,dc=example,dc=org' };

  it('reads the CA and the password file relative to the config folder, trimming the password', async () => {
    writeFileSync(join(dir, 'ca.pem'), CA_PEM);
    writeFileSync(join(dir, 'pw'), '  s3cret pw \n', { mode: 0o600 });
    const sut = await resolveLdapSettings(config({ ...service, ca_certificate: 'ca.pem', bind_password_file: 'pw' }), dir, 'corp');
    expect(sut.tls).toEqual({ ca: CA_PEM, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(sut.mode).toEqual({ kind: 'service', bindDn: 'cn=reader,dc=example,dc=org', password: 's3cret pw' });
    expect(sut.warnings).toEqual([]);
  });

  it('warns when the password file can be read by others, without revealing the password', async () => {
    writeFileSync(join(dir, 'pw'), 's3cret pw\n');
    chmodSync(join(dir, 'pw'), 0o640);
    const sut = await resolveLdapSettings(config({ ...service, bind_password_file: 'pw' }), dir, 'corp');
    expect(sut.warnings).toEqual(['LDAP provider corp: bind_password_file (pw) can be accessed by its group (mode 0640): it holds a secret, chmod 600 it']);
  });

  it.each([
    ['a missing CA file', { ...service, bind_password: 'x', ca_certificate: 'nope.pem' }, /^ca_certificate: cannot read nope\.pem: ENOENT/],
    ['a missing password file', { ...service, bind_password_file: 'nope' }, /^bind_password_file: cannot read nope: ENOENT/],
    ['an empty password file', { ...service, bind_password_file: 'empty' }, /^bind_password_file: the service account password is empty/],
    ['a CA file without a certificate', { ...service, bind_password: 'x', ca_certificate: 'empty' }, /^ca_certificate: empty holds no PEM certificate/],
  ])('refuses %s at start, naming the key', async (_case, input, message) => {
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(resolveLdapSettings(config(input), dir, 'corp')).rejects.toThrow(message);
  });

  it('warns loudly when certificate checks are off', async () => {
    const sut = await resolveLdapSettings(config({ ...service, bind_password: 'x', insecure_tls_skip_verify: true }), dir, 'corp');
    expect(sut.tls.rejectUnauthorized).toBe(false);
    expect(sut.warnings).toEqual([expect.stringMatching(/corp: insecure_tls_skip_verify is on .*NOT checked/)]);
  });

  it('warns when a password would cross the network unencrypted', async () => {
    const sut = await resolveLdapSettings(config({ url: 'ldap://ldap.example.com', bind_dn: 'cn=r,dc=x', bind_password: 'x' }), dir, 'corp');
    expect(sut.warnings).toEqual([expect.stringContaining('unencrypted')]);
  });

  it.each([
    ['initial_bind_as_user', { url: 'ldap://ldap.example.com', initial_bind_as_user: true, bind_dn: 'uid=${account},dc=example,dc=org' }],
    ['an anonymous search (the user bind still sends the password)', { url: 'ldap://ldap.example.com' }],
    ['docker_auth addr without tls', { addr: 'ldap.example.com:389' }],
  ])('warns about unencrypted passwords with %s', async (_case, input) => {
    const sut = await resolveLdapSettings(config(input), dir, 'corp');
    expect(sut.warnings).toEqual(['LDAP provider corp: passwords go to ldap://ldap.example.com:389 unencrypted; use ldaps:// or tls: starttls']);
  });

  it('warns about each plain server of a failover list, even after an encrypted one', async () => {
    const sut = await resolveLdapSettings(config({ url: ['ldaps://a.example.com', 'ldap://b.example.com', 'ldap://c.example.com:1389'] }), dir, 'corp');
    expect(sut.warnings).toEqual([
      expect.stringContaining('passwords go to ldap://b.example.com:389 unencrypted'),
      expect.stringContaining('passwords go to ldap://c.example.com:1389 unencrypted'),
    ]);
  });

  it.each([
    ['LDAPS', { url: 'ldaps://ldap.example.com' }],
    ['StartTLS', { url: ['ldap://a.example.com', 'ldap://b.example.com'], tls: 'starttls' }],
  ])('does not warn about passwords over %s', async (_case, input) => {
    const sut = await resolveLdapSettings(config(input), dir, 'corp');
    expect(sut.warnings).toEqual([]);
  });

  it('asks the user search for label and account attributes by name, once each', async () => {
    const sut = await resolveLdapSettings(
      config({
        ...service,
        bind_password: 'x',
        account_attribute: 'uid',
        labels: { a: { attribute: 'memberOf' }, b: { attribute: 'memberOf' }, c: { attribute: 'uid' } },
      }),
      dir,
      'corp',
    );
    expect(sut.entryAttributes).toEqual(['memberOf', 'uid']);
  });

  describe("lookupFilter (refresh finds the entry by the token's sub)", () => {
    const render = async (input: Record<string, unknown>, sub: string): Promise<string> => {
      const sut = await resolveLdapSettings(config({ ...service, bind_password: 'x', ...input }), dir, 'corp');
      return sut.lookupFilter.render({ account: sub }, (v) => v);
    };

    it('is the login filter when account_attribute is not set: sub is what was typed', async () => {
      expect(await render({ filter: '(&(cn=${account})(objectClass=person))' }, 'Smith')).toBe('(&(cn=Smith)(objectClass=person))');
    });

    it('matches the account attribute and keeps the rest of the filter', async () => {
      expect(await render({ filter: '(&(cn=${account})(objectClass=person))', account_attribute: 'uid' }, 'jsmith')).toBe(
        '(&(&(cn=*)(objectClass=person))(uid=jsmith))',
      );
    });

    it('keeps the fixed part of a substring around the account', async () => {
      expect(await render({ filter: '(mail=${account}@example.org)', account_attribute: 'uid' }, 'jsmith')).toBe('(&(mail=*@example.org)(uid=jsmith))');
    });
  });
});
