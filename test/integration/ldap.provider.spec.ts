import { Client } from 'ldapts';
import { createLdapProvider, type LdapProvider } from '../../src/authn/ldap/ldap.provider.js';
import { ldapProviderSchema } from '../../src/authn/ldap/ldap.schema.js';
import type { AuthResult, RequestContext } from '../../src/authn/provider.js';
import { Secret } from '../../src/common/secret.js';
import { settledConnectionsTo } from '../support/slapd-connections.js';
import { NESTED, PEOPLE, PEOPLE_BASE, GROUPS_BASE, SERVICE_ACCOUNT, SUFFIX, TWIN } from '../support/slapd-directory.js';
import { requireSlapd, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/** The LDAP provider against a real slapd: the login flow, escaping, labels, TLS. */

setTestFileTimeout(60_000);
const { describeIf } = requireSlapd();

const USER_FILTER = '(&(uid=${account})(objectClass=inetOrgPerson))';
const { alice, bob, carol, smith } = PEOPLE;

const ctx = (timeoutMs = 10_000): RequestContext => ({ requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal: AbortSignal.timeout(timeoutMs) });
const allow = (labels: Record<string, string[]> = {}, account?: string): AuthResult =>
  account === undefined ? { kind: 'allow', labels } : { kind: 'allow', labels, account };

async function eventually(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describeIf('LDAP provider against slapd', () => {
  let slapd: RunningSlapd;
  const providers: LdapProvider[] = [];
  let warnings: string[] = [];

  async function buildSut(overrides: Record<string, unknown> = {}): Promise<LdapProvider> {
    const config = ldapProviderSchema.parse({
      type: 'ldap',
      url: slapd.ldapUrl,
      bind_dn: SERVICE_ACCOUNT.dn,
      bind_password: SERVICE_ACCOUNT.password,
      base: SUFFIX,
      filter: USER_FILTER,
      ...overrides,
    });
    const sut = await createLdapProvider(config, { baseDir: slapd.dir, name: 'ldap', warn: (m) => warnings.push(m) });
    providers.push(sut);
    return sut;
  }
  const login = (sut: LdapProvider, user: string, password: string): Promise<AuthResult> => sut.authenticate(user, new Secret(password), ctx());

  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((p) => p.close?.()));
    warnings = [];
  });
  afterAll(() => slapd?.close());

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
      writeFileSync(`${slapd.dir}/reader.pw`, `${SERVICE_ACCOUNT.password}\n`);
      const sut = await buildSut({ bind_password: undefined, bind_password_file: 'reader.pw' });
      expect((await login(sut, 'bob', bob.password)).kind).toBe('allow');
    });
  });

  describe('test directory', () => {
    it('shows a user-bound connection only its own entry, so it cannot stand in for the service account', async () => {
      const client = new Client({ url: slapd.ldapUrl, timeout: 5_000 });
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
      const client = new Client({ url: slapd.ldapUrl, timeout: 5_000 });
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

  describe('labels', () => {
    it('maps memberOf to labels, keeping the CN and lower-casing (docker_auth parse_cn, lower_case)', async () => {
      const sut = await buildSut({ labels: { groups: { attribute: 'memberOf', parse_cn: true, lower_case: true } } });
      expect(await login(sut, 'alice', alice.password)).toEqual(allow({ groups: ['developers', 'ops'] }));
    });

    it('keeps whole DN values without parse_cn and their case without lower_case', async () => {
      const sut = await buildSut({ labels: { groups: { attribute: 'memberOf' } } });
      expect(await login(sut, 'bob', bob.password)).toEqual(allow({ groups: [`cn=Developers,${GROUPS_BASE}`] }));
    });

    it('maps ordinary attributes too, several labels at once', async () => {
      const sut = await buildSut({ labels: { uid: { attribute: 'uid' }, groups: { attribute: 'memberof', parse_cn: true } } });
      expect(await login(sut, 'bob', bob.password)).toEqual(allow({ uid: ['bob'], groups: ['Developers'] }));
    });

    it('gives no label for an attribute the entry does not have', async () => {
      const sut = await buildSut({ labels: { groups: { attribute: 'memberOf' } } });
      expect(await login(sut, 'carol', carol.password)).toEqual(allow({}));
    });

    it('finds groups by the user DN for directories without memberOf', async () => {
      const sut = await buildSut({ group_search: { base: GROUPS_BASE, filter: '(&(objectClass=groupOfNames)(member=${dn}))', attribute: 'cn', label: 'groups', lower_case: true } });
      const result = await login(sut, 'alice', alice.password);
      expect(result.kind === 'allow' && [...result.labels.groups!].sort()).toEqual(['developers', 'ops']);
    });

    it('finds posix groups by account name (memberUid)', async () => {
      const sut = await buildSut({ group_search: { base: GROUPS_BASE, filter: '(&(objectClass=posixGroup)(memberUid=${account}))', attribute: 'cn', label: 'teams' } });
      const result = await login(sut, 'bob', bob.password);
      expect(result.kind === 'allow' && [...result.labels.teams!].sort()).toEqual(['builders', 'readers']);
    });

    it('merges memberOf and group-search values into one label', async () => {
      const sut = await buildSut({
        labels: { groups: { attribute: 'memberOf', parse_cn: true } },
        group_search: { base: GROUPS_BASE, filter: '(&(objectClass=posixGroup)(memberUid=${account}))', label: 'groups' },
      });
      const result = await login(sut, 'bob', bob.password);
      expect(result.kind === 'allow' && [...result.labels.groups!].sort()).toEqual(['Developers', 'builders', 'readers']);
    });

    it('does not search groups for a wrong password', async () => {
      const sut = await buildSut({ group_search: { base: 'ou=missing,dc=example,dc=org', filter: '(member=${dn})' } });
      // The group base does not exist: searching it would fail; a deny must come first.
      expect(await login(sut, 'alice', 'wrong')).toEqual({ kind: 'deny' });
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

  describe('lookup for refresh tokens', () => {
    it('finds an existing account with its current labels', async () => {
      const sut = await buildSut({ account_attribute: 'uid', labels: { groups: { attribute: 'memberOf', parse_cn: true } } });
      expect(await sut.lookup!('bob', ctx())).toEqual(allow({ groups: ['Developers'] }, 'bob'));
    });

    it('answers no_match for an account that is gone', async () => {
      const sut = await buildSut();
      expect(await sut.lookup!('mallory', ctx())).toEqual({ kind: 'no_match' });
    });

    it('sees group changes made after login', async () => {
      const sut = await buildSut({ labels: { groups: { attribute: 'memberOf', parse_cn: true } } });
      const opsGroup = `cn=Ops,${GROUPS_BASE}`;
      const { Change, Attribute } = await import('ldapts');
      const change = (operation: 'add' | 'delete'): InstanceType<typeof Change> =>
        new Change({ operation, modification: new Attribute({ type: 'member', values: [bob.dn] }) });
      await slapd.asAdmin((c) => c.modify(opsGroup, change('add')));
      try {
        const result = await sut.lookup!('bob', ctx());
        expect(result.kind === 'allow' && [...result.labels.groups!].sort()).toEqual(['Developers', 'Ops']);
      } finally {
        await slapd.asAdmin((c) => c.modify(opsGroup, change('delete')));
      }
    });

    it('finds the account by account_attribute when the login filter matches another attribute', async () => {
      const sut = await buildSut({ filter: '(&(cn=${account})(objectClass=inetOrgPerson))', account_attribute: 'uid' });
      const loggedIn = await login(sut, 'smith john', smith.password);
      expect(loggedIn).toEqual(allow({}, smith.uid));
      expect(await sut.lookup!(smith.uid, ctx())).toEqual(allow({}, smith.uid));
    });

    it('still applies the rest of the login filter when looking up by account_attribute', async () => {
      const sut = await buildSut({ filter: `(&(cn=\${account})(memberOf=cn=Developers,${GROUPS_BASE}))`, account_attribute: 'uid' });
      expect(await sut.lookup!('bob', ctx())).toEqual(allow({}, 'bob'));
      expect(await sut.lookup!('carol', ctx())).toEqual({ kind: 'no_match' });
    });

    it('fails (503) when the account attribute names more than one entry', async () => {
      const sut = await buildSut({ account_attribute: 'uid' });
      await expect(sut.lookup!(TWIN.uid, ctx())).rejects.toMatchObject({ code: 'ambiguous_account' });
    });

    it('cannot look anyone up with initial_bind_as_user (no service account)', async () => {
      const sut = await buildSut({ initial_bind_as_user: true, bind_dn: `uid=\${account},${PEOPLE_BASE}`, bind_password: undefined });
      expect(await sut.lookup!('alice', ctx())).toEqual({ kind: 'unknown' });
    });
  });

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
    ])('denies a name with %s: the bind DN it makes is nobody\'s', async (_case, user, password) => {
      const sut = await buildSut(asUser);
      expect(await login(sut, user, password)).toEqual({ kind: 'deny' });
    });
  });

  describe('TLS', () => {
    it('logs in over StartTLS with the configured CA', async () => {
      const sut = await buildSut({ tls: 'starttls', ca_certificate: slapd.caFile });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('logs in over LDAPS with the configured CA', async () => {
      const sut = await buildSut({ url: slapd.ldapsUrl, ca_certificate: slapd.caFile });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('accepts docker_auth addr with tls: always and tls: starttls', async () => {
      for (const [port, tls] of [[slapd.ldapsPort, 'always'], [slapd.ldapPort, 'starttls']] as const) {
        const sut = await buildSut({ url: undefined, addr: `127.0.0.1:${port}`, tls, ca_certificate: slapd.caFile });
        expect((await login(sut, 'bob', bob.password)).kind).toBe('allow');
      }
    });

    it.each([
      ['LDAPS, system CAs', () => ({ url: slapd.ldapsUrl })],
      ['LDAPS, another CA', () => ({ url: slapd.ldapsUrl, ca_certificate: slapd.otherCaFile })],
      ['StartTLS, another CA', () => ({ tls: 'starttls', ca_certificate: slapd.otherCaFile })],
    ])('refuses an untrusted certificate (%s) with a clear error', async (_case, overrides) => {
      const sut = await buildSut(overrides());
      const failure = login(sut, 'alice', alice.password);
      await expect(failure).rejects.toMatchObject({ code: 'tls_failed' });
      await expect(failure).rejects.toThrow(/certificate of ldaps?:\/\/127\.0\.0\.1:\d+.* is not trusted.*ca_certificate/);
    });

    it('skips verification only when told to, and warns loudly at start', async () => {
      const sut = await buildSut({ url: slapd.ldapsUrl, insecure_tls_skip_verify: true });
      expect(warnings.join('\n')).toMatch(/insecure_tls_skip_verify.*NOT checked/);
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('warns at start when passwords would cross the network unencrypted', async () => {
      await buildSut();
      expect(warnings.join('\n')).toMatch(/unencrypted/);
    });
  });

  describe('connections', () => {
    it('fails over to the next URL when the first server does not answer', async () => {
      const { freePort } = await import('../support/free-port.js');
      const sut = await buildSut({ url: [`ldap://127.0.0.1:${await freePort()}`, slapd.ldapUrl] });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('answers many concurrent logins with mixed passwords correctly, and leaks no connection', async () => {
      const sut = await buildSut({ pool_size: 3, labels: { groups: { attribute: 'memberOf', parse_cn: true } } });
      const cases = Array.from({ length: 120 }, (_, i) => {
        const person = [alice, bob, carol][i % 3]!;
        const right = i % 4 !== 0;
        return { user: person.uid, password: right ? person.password : `${person.password}-wrong`, expected: right ? 'allow' : 'deny' };
      });
      const results = await Promise.all(cases.map((c) => login(sut, c.user, c.password)));
      expect(results.map((r) => r.kind)).toEqual(cases.map((c) => c.expected));
      const aliceResults = results.filter((r, i) => cases[i]!.user === 'alice' && r.kind === 'allow');
      for (const r of aliceResults) expect(r).toEqual(allow({ groups: ['Developers', 'Ops'] }));
      // User connections close just after the answer is out; give them a moment.
      await eventually(() => sut.openConnections <= 3);
      expect(sut.openConnections).toBeLessThanOrEqual(3);
      const kernelCount = await settledConnectionsTo(slapd.ldapPort, 3);
      if (kernelCount !== undefined) expect(kernelCount).toBeLessThanOrEqual(3);
    });

    it('closes every connection on close()', async () => {
      const sut = await buildSut({ pool_size: 4 });
      await Promise.all([login(sut, 'alice', alice.password), login(sut, 'bob', bob.password)]);
      await sut.close!();
      await eventually(() => sut.openConnections === 0);
      expect(sut.openConnections).toBe(0);
      const kernelCount = await settledConnectionsTo(slapd.ldapPort, 0);
      if (kernelCount !== undefined) expect(kernelCount).toBe(0);
    });
  });
});
