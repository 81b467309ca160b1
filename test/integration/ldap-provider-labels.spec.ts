import { allow, ctx, describeLdapProviders } from '../support/ldap-provider.fixture.js';
import { LABEL_LIMITS } from '../../src/common/labels.js';
import { GROUPS_BASE, PEOPLE, PEOPLE_BASE, SUFFIX, TWIN } from '../support/slapd-directory.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/** The LDAP provider against a real slapd: labels from attributes and group searches, lookups for refresh tokens. */

setTestFileTimeout(60_000);
const { alice, bob, carol, smith } = PEOPLE;

describeLdapProviders('LDAP provider against slapd', (ldap) => {
  const { buildSut, login } = ldap;

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
      const sut = await buildSut({
        group_search: { base: GROUPS_BASE, filter: '(&(objectClass=groupOfNames)(member=${dn}))', attribute: 'cn', label: 'groups', lower_case: true },
      });
      const result = await login(sut, 'alice', alice.password);
      expect(result.kind === 'allow' && [...result.labels.groups].sort()).toEqual(['developers', 'ops']);
    });

    it('finds posix groups by account name (memberUid)', async () => {
      const sut = await buildSut({
        group_search: { base: GROUPS_BASE, filter: '(&(objectClass=posixGroup)(memberUid=${account}))', attribute: 'cn', label: 'teams' },
      });
      const result = await login(sut, 'bob', bob.password);
      expect(result.kind === 'allow' && [...result.labels.teams].sort()).toEqual(['builders', 'readers']);
    });

    it('merges memberOf and group-search values into one label', async () => {
      const sut = await buildSut({
        labels: { groups: { attribute: 'memberOf', parse_cn: true } },
        group_search: { base: GROUPS_BASE, filter: '(&(objectClass=posixGroup)(memberUid=${account}))', label: 'groups' },
      });
      const result = await login(sut, 'bob', bob.password);
      expect(result.kind === 'allow' && [...result.labels.groups].sort()).toEqual(['Developers', 'builders', 'readers']);
    });

    it('refuses (503) a user in more groups than labels may hold, rather than cutting the list', async () => {
      const base = `ou=many-groups,${SUFFIX}`;
      const names = Array.from({ length: LABEL_LIMITS.valuesPerKey + 1 }, (_, i) => `g${i}`);
      const inBatches = async (work: (name: string) => Promise<void>): Promise<void> => {
        for (let i = 0; i < names.length; i += 64) await Promise.all(names.slice(i, i + 64).map(work));
      };
      await ldap.slapd.asAdmin(async (c) => {
        await c.add(base, { objectClass: ['organizationalUnit'], ou: 'many-groups' });
        await inBatches((cn) => c.add(`cn=${cn},${base}`, { objectClass: ['groupOfNames'], cn, member: [carol.dn] }));
      });
      try {
        const sut = await buildSut({ group_search: { base, filter: '(member=${dn})', attribute: 'cn', label: 'groups' } });
        await expect(login(sut, 'carol', carol.password)).rejects.toMatchObject({ code: 'too_many_values' });
      } finally {
        await ldap.slapd.asAdmin(async (c) => {
          await inBatches((cn) => c.del(`cn=${cn},${base}`));
          await c.del(base);
        });
      }
    });

    it('does not search groups for a wrong password', async () => {
      const sut = await buildSut({ group_search: { base: 'ou=missing,dc=example,dc=org', filter: '(member=${dn})' } });
      // The group base does not exist: searching it would fail; a deny must come first.
      expect(await login(sut, 'alice', 'wrong')).toEqual({ kind: 'deny' });
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
      await ldap.slapd.asAdmin((c) => c.modify(opsGroup, change('add')));
      try {
        const result = await sut.lookup!('bob', ctx());
        expect(result.kind === 'allow' && [...result.labels.groups].sort()).toEqual(['Developers', 'Ops']);
      } finally {
        await ldap.slapd.asAdmin((c) => c.modify(opsGroup, change('delete')));
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
});
