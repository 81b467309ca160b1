import type { Client } from 'ldapts';

/**
 * The directory every LDAP test runs against: people, a service account, groups (memberOf comes
 * from slapd's memberof overlay, so entries are added over LDAP rather than with slapadd), a
 * posixGroup for directories without memberOf, and a duplicate account.
 */

export const SUFFIX = 'dc=example,dc=org';
export const ADMIN = { dn: `cn=admin,${SUFFIX}`, password: 'admin-secret' } as const;
export const PEOPLE_BASE = `ou=people,${SUFFIX}`;
export const GROUPS_BASE = `ou=groups,${SUFFIX}`;
export const SERVICE_ACCOUNT = { dn: `cn=registry-reader,ou=services,${SUFFIX}`, password: 'reader: pw with spaces' } as const;

export interface Person {
  readonly uid: string;
  readonly dn: string;
  readonly password: string;
  /** groupOfNames the person is a `member` of (→ memberOf). */
  readonly groups: readonly string[];
}

export const PEOPLE = {
  alice: { uid: 'alice', dn: `uid=alice,${PEOPLE_BASE}`, password: 'alice: pw with spaces', groups: ['Developers', 'Ops'] },
  bob: { uid: 'bob', dn: `uid=bob,${PEOPLE_BASE}`, password: 'bob-password', groups: ['Developers'] },
  carol: { uid: 'carol', dn: `uid=carol,${PEOPLE_BASE}`, password: 'carol:secret:with:colons', groups: [] },
  /** A uid with a comma: only RFC 4514 escaping makes a bind DN out of it. */
  smith: { uid: 'smith, john', dn: `uid=smith\\, john,${PEOPLE_BASE}`, password: 'smith-password', groups: [] },
} as const satisfies Record<string, Person>;

/**
 * A person one level below the others. `uid=${account},ou=people,…` with the name typed as
 * `inner,ou=nested` is this entry's DN only if the comma goes into the DN unescaped.
 */
export const NESTED = { uid: 'inner', dn: `uid=inner,ou=nested,${PEOPLE_BASE}`, password: 'inner-password', typedAs: 'inner,ou=nested' } as const;

/** `twin` exists twice (people and contractors): a search for it is ambiguous. */
export const TWIN = { uid: 'twin', password: 'twin-password' } as const;

/** posixGroup members are uids (memberUid), not DNs: found with a `${account}` group search. */
export const POSIX_GROUPS = { builders: ['bob'], readers: ['alice', 'bob'] } as const;

type Attrs = Record<string, string | string[]>;

function person(p: { uid: string; cn: string; password: string }): Attrs {
  return { objectClass: ['inetOrgPerson'], uid: p.uid, cn: p.cn, sn: p.cn.split(' ').pop()!, userPassword: p.password };
}

/** Entries in the order they must be added (parents first, groups after their members). */
export function seedEntries(): [dn: string, attrs: Attrs][] {
  const groupNames = [...new Set(Object.values(PEOPLE).flatMap((p) => p.groups))];
  return [
    [SUFFIX, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' }],
    ...['people', 'groups', 'services', 'contractors'].map((ou): [string, Attrs] => [`ou=${ou},${SUFFIX}`, { objectClass: ['organizationalUnit'], ou }]),
    [SERVICE_ACCOUNT.dn, { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'registry-reader', userPassword: SERVICE_ACCOUNT.password }],
    ...Object.values(PEOPLE).map((p): [string, Attrs] => [p.dn, person({ uid: p.uid, cn: p.uid.replace(/\W+/g, ' ').trim() || p.uid, password: p.password })]),
    [`ou=nested,${PEOPLE_BASE}`, { objectClass: ['organizationalUnit'], ou: 'nested' }],
    [NESTED.dn, person({ uid: NESTED.uid, cn: 'Inner', password: NESTED.password })],
    [`uid=twin,${PEOPLE_BASE}`, person({ uid: TWIN.uid, cn: 'Twin One', password: TWIN.password })],
    [`uid=twin,ou=contractors,${SUFFIX}`, person({ uid: TWIN.uid, cn: 'Twin Two', password: TWIN.password })],
    ...groupNames.map((name): [string, Attrs] => [
      `cn=${name},${GROUPS_BASE}`,
      {
        objectClass: ['groupOfNames'],
        cn: name,
        member: Object.values(PEOPLE)
          .filter((p) => (p.groups as readonly string[]).includes(name))
          .map((p) => p.dn),
      },
    ]),
    ...Object.entries(POSIX_GROUPS).map(([name, members], i): [string, Attrs] => [
      `cn=${name},${GROUPS_BASE}`,
      { objectClass: ['posixGroup'], cn: name, gidNumber: String(5000 + i), memberUid: [...members] },
    ]),
  ];
}

export async function seedDirectory(admin: Client): Promise<void> {
  for (const [dn, attrs] of seedEntries()) await admin.add(dn, attrs);
}
