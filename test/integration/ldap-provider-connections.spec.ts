import { allow, describeLdapProviders } from '../support/ldap-provider.fixture.js';
import { eventually } from '../support/settled.js';
import { settledConnectionsTo } from '../support/slapd-connections.js';
import { NESTED, PEOPLE, PEOPLE_BASE } from '../support/slapd-directory.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/** The LDAP provider against a real slapd: binding as the user, TLS, failover and the connection pool. */

setTestFileTimeout(60_000);
const { alice, bob, carol, smith } = PEOPLE;

describeLdapProviders('LDAP provider against slapd', (ldap) => {
  const { buildSut, login } = ldap;

  describe('initial_bind_as_user (docker_auth)', () => {
    const asUser = { initial_bind_as_user: true, bind_dn: `uid=\${account},${PEOPLE_BASE}`, bind_password: undefined };

    it('allows the right password, with labels read as the user', async () => {
      const sut = await buildSut({ ...asUser, labels: { groups: { attribute: 'memberOf', parse_cn: true, lower_case: true } } });
      expect(await login(sut, 'alice', alice.password)).toEqual(allow({ groups: ['developers', 'ops'] }));
    });

    it('denies a wrong password', async () => {
      const sut = await buildSut(asUser);
      expect(await login(sut, 'alice', 'wrong')).toEqual({ kind: 'deny' });
    });

    it('escapes the account per RFC 4514 in the bind DN', async () => {
      const sut = await buildSut(asUser);
      expect((await login(sut, smith.uid, smith.password)).kind).toBe('allow');
    });

    it.each([
      ['an extra RDN', `alice,ou=people`, alice.password],
      ['a multi-valued RDN', 'alice+cn=x', alice.password],
      ['a NUL byte', 'alice\0', alice.password],
      // Unescaped, this would be the DN of a real entry with this password: the bind would succeed.
      ['an RDN that names an existing entry', NESTED.typedAs, NESTED.password],
    ])("denies a name with %s: the bind DN it makes is nobody's", async (_case, user, password) => {
      const sut = await buildSut(asUser);
      expect(await login(sut, user, password)).toEqual({ kind: 'deny' });
    });
  });

  describe('TLS', () => {
    it('logs in over StartTLS with the configured CA', async () => {
      const sut = await buildSut({ tls: 'starttls', ca_certificate: ldap.slapd.caFile });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('logs in over LDAPS with the configured CA', async () => {
      const sut = await buildSut({ url: ldap.slapd.ldapsUrl, ca_certificate: ldap.slapd.caFile });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('accepts docker_auth addr with tls: always and tls: starttls', async () => {
      for (const [port, tls] of [
        [ldap.slapd.ldapsPort, 'always'],
        [ldap.slapd.ldapPort, 'starttls'],
      ] as const) {
        const sut = await buildSut({ url: undefined, addr: `127.0.0.1:${port}`, tls, ca_certificate: ldap.slapd.caFile });
        expect((await login(sut, 'bob', bob.password)).kind).toBe('allow');
      }
    });

    it.each([
      ['LDAPS, system CAs', () => ({ url: ldap.slapd.ldapsUrl })],
      ['LDAPS, another CA', () => ({ url: ldap.slapd.ldapsUrl, ca_certificate: ldap.slapd.otherCaFile })],
      ['StartTLS, another CA', () => ({ tls: 'starttls', ca_certificate: ldap.slapd.otherCaFile })],
    ])('refuses an untrusted certificate (%s) with a clear error', async (_case, overrides) => {
      const sut = await buildSut(overrides());
      const failure = login(sut, 'alice', alice.password);
      await expect(failure).rejects.toMatchObject({ code: 'tls_failed' });
      await expect(failure).rejects.toThrow(/certificate of ldaps?:\/\/127\.0\.0\.1:\d+.* is not trusted.*ca_certificate/);
    });

    it('skips verification only when told to, and warns loudly at start', async () => {
      const sut = await buildSut({ url: ldap.slapd.ldapsUrl, insecure_tls_skip_verify: true });
      expect(ldap.warnings.join('\n')).toMatch(/insecure_tls_skip_verify.*NOT checked/);
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('warns at start when passwords would cross the network unencrypted', async () => {
      await buildSut();
      expect(ldap.warnings.join('\n')).toMatch(/unencrypted/);
    });
  });

  describe('connections', () => {
    it('fails over to the next URL when the first server does not answer', async () => {
      const { freePort } = await import('../support/free-port.js');
      const sut = await buildSut({ url: [`ldap://127.0.0.1:${await freePort()}`, ldap.slapd.ldapUrl] });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('answers many concurrent logins with mixed passwords correctly, and leaks no connection', async () => {
      const sut = await buildSut({ pool_size: 3, labels: { groups: { attribute: 'memberOf', parse_cn: true } } });
      const cases = Array.from({ length: 120 }, (_, i) => {
        const person = [alice, bob, carol][i % 3];
        const right = i % 4 !== 0;
        return { user: person.uid, password: right ? person.password : `${person.password}-wrong`, expected: right ? 'allow' : 'deny' };
      });
      const results = await Promise.all(cases.map((c) => login(sut, c.user, c.password)));
      expect(results.map((r) => r.kind)).toEqual(cases.map((c) => c.expected));
      const aliceResults = results.filter((r, i) => cases[i].user === 'alice' && r.kind === 'allow');
      for (const r of aliceResults) expect(r).toEqual(allow({ groups: ['Developers', 'Ops'] }));
      // User connections close just after the answer is out; give them a moment.
      await eventually(() => sut.openConnections <= 3);
      expect(sut.openConnections).toBeLessThanOrEqual(3);
      const kernelCount = await settledConnectionsTo(ldap.slapd.ldapPort, 3);
      if (kernelCount !== undefined) expect(kernelCount).toBeLessThanOrEqual(3);
    });

    it('closes every connection on close()', async () => {
      const sut = await buildSut({ pool_size: 4 });
      await Promise.all([login(sut, 'alice', alice.password), login(sut, 'bob', bob.password)]);
      await sut.close!();
      await eventually(() => sut.openConnections === 0);
      expect(sut.openConnections).toBe(0);
      const kernelCount = await settledConnectionsTo(ldap.slapd.ldapPort, 0);
      if (kernelCount !== undefined) expect(kernelCount).toBe(0);
    });
  });
});
