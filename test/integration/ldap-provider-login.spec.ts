import { Client } from 'ldapts';
import { allow, describeLdapProviders } from '../support/ldap-provider.fixture.js';
import { PEOPLE, SERVICE_ACCOUNT, SUFFIX, TWIN } from '../support/slapd-directory.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/** The LDAP provider against a real slapd: the login flow, empty passwords, filter escaping, the canonical account. */

setTestFileTimeout(60_000);
const { alice, bob, carol, smith } = PEOPLE;

describeLdapProviders('LDAP provider against slapd', (ldap) => {
  const { buildSut, login } = ldap;

  describe('login', () => {
    it('allows the right password', async () => {
      const sut = await buildSut();
      expect(await login(sut, 'alice', alice.password)).toEqual(allow());
    });

    it('denies a wrong password', async () => {
      const sut = await buildSut();
      expect(await login(sut, 'alice', 'not-her-password')).toEqual({ kind: 'deny' });
    });

    it('answers no_match for an unknown user so the next provider can try', async () => {
      const sut = await buildSut();
      expect(await login(sut, 'mallory', 'whatever')).toEqual({ kind: 'no_match' });
    });

    it.each([
      ['spaces and a colon', 'alice', alice.password],
      ['several colons', 'carol', carol.password],
    ])('accepts a password with %s', async (_case, user, password) => {
      const sut = await buildSut();
      expect((await login(sut, user, password)).kind).toBe('allow');
    });

    it('fails (503) when the user search finds more than one entry', async () => {
      const sut = await buildSut();
      await expect(login(sut, TWIN.uid, TWIN.password)).rejects.toMatchObject({ code: 'ambiguous_account' });
    });

    it('fails when the service account cannot bind, instead of denying the user', async () => {
      const sut = await buildSut({ bind_password: 'wrong service password' });
      await expect(login(sut, 'alice', alice.password)).rejects.toMatchObject({ code: 'service_bind_failed' });
    });

    it('reads the service password from bind_password_file (trimmed, relative to the config folder)', async () => {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${ldap.slapd.dir}/reader.pw`, `${SERVICE_ACCOUNT.password}\n`);
      const sut = await buildSut({ bind_password: undefined, bind_password_file: 'reader.pw' });
      expect((await login(sut, 'bob', bob.password)).kind).toBe('allow');
    });
  });

  describe('test directory', () => {
    it('shows a user-bound connection only its own entry, so it cannot stand in for the service account', async () => {
      const client = new Client({ url: ldap.slapd.ldapUrl, timeout: 5_000 });
      try {
        await client.bind(alice.dn, alice.password);
        const { searchEntries } = await client.search(SUFFIX, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid'] });
        expect(searchEntries.map((e) => e.dn)).toEqual([alice.dn]);
      } finally {
        await client.unbind();
      }
    });
  });

  describe('empty password', () => {
    it('is accepted by slapd as an anonymous bind — the danger the provider must avoid', async () => {
      const client = new Client({ url: ldap.slapd.ldapUrl, timeout: 5_000 });
      try {
        await expect(client.bind(alice.dn, '')).resolves.toBeUndefined();
      } finally {
        await client.unbind();
      }
    });

    it('never becomes a login and never reaches the directory', async () => {
      const sut = await buildSut();
      expect(await login(sut, 'alice', '')).toEqual({ kind: 'no_match' });
      expect(sut.openConnections).toBe(0);
    });
  });

  describe('filter injection', () => {
    it.each([
      ['*', '*'],
      ['a wildcard prefix', 'ali*'],
      ['a closing paren that adds a clause', 'alice)(uid=*'],
      ['an OR injection', '*)(|(uid=*'],
      ['a backslash', 'alice\\'],
      ['a NUL byte', 'alice\0'],
      ['a DN', alice.dn],
    ])('does not let %s log in as someone', async (_case, user) => {
      const sut = await buildSut();
      expect(await login(sut, user, alice.password)).toEqual({ kind: 'no_match' });
    });

    it('still finds users whose names contain filter metacharacters, escaped', async () => {
      const sut = await buildSut();
      expect((await login(sut, smith.uid, smith.password)).kind).toBe('allow');
    });
  });

  describe('canonical account', () => {
    it('takes the account name from the entry, so another spelling cannot dodge exact-name ACL rules', async () => {
      const sut = await buildSut({ account_attribute: 'uid' });
      expect(await login(sut, 'ALICE', alice.password)).toEqual(allow({}, 'alice'));
    });

    it('leaves the account as typed when account_attribute is not set', async () => {
      const sut = await buildSut();
      const result = await login(sut, 'ALICE', alice.password);
      expect(result).toEqual(allow());
      expect(result).not.toHaveProperty('account');
    });

    it('fails rather than guessing when the entry lacks the attribute', async () => {
      const sut = await buildSut({ account_attribute: 'employeeNumber' });
      await expect(login(sut, 'alice', alice.password)).rejects.toMatchObject({ code: 'account_attribute_missing' });
    });
  });
});
