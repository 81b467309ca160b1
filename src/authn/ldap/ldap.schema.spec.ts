import { fromZodIssues, type ConfigIssue } from '../../config/config-issue.js';
import { ldapProviderSchema } from './ldap.schema.js';

/** docker_auth's examples/reference.yml `ldap_auth` section, as YAML gives it (empty keys = null). */
const dockerAuthReference = {
  addr: 'ldap.example.com:636',
  tls: 'always',
  insecure_tls_skip_verify: false,
  ca_certificate: null,
  bind_dn: null,
  bind_password_file: null,
  base: 'o=example.com',
  filter: '(&(uid=${account})(objectClass=person))',
  labels: {
    title: { attribute: 'title' },
    groups: { attribute: 'memberOf', parse_cn: true, lower_case: true },
  },
};

const native = {
  url: 'ldaps://ldap.example.com',
  bind_dn: 'cn=reader,dc=example,dc=com',
  bind_password: 'reader-secret',
  base: 'dc=example,dc=com',
  filter: '(uid=${account})',
};

function issuesOf(input: Record<string, unknown>): ConfigIssue[] {
  const result = ldapProviderSchema.safeParse({ type: 'ldap', ...input });
  return result.success ? [] : fromZodIssues(result.error.issues);
}

describe('ldap provider schema', () => {
  it("accepts docker_auth's reference ldap_auth section unchanged", () => {
    expect(issuesOf(dockerAuthReference)).toEqual([]);
  });

  it("accepts docker_auth's initial_bind_as_user example", () => {
    expect(
      issuesOf({ ...dockerAuthReference, initial_bind_as_user: true, bind_dn: 'cn=${account},cn=users,dc=example,dc=com', bind_password_file: null }),
    ).toEqual([]);
  });

  it('fills in timeouts, pool and concurrency defaults', () => {
    expect(ldapProviderSchema.parse({ type: 'ldap', ...native })).toMatchObject({
      connect_timeout: 3000,
      timeout: 5000,
      pool_size: 4,
      concurrency: 32,
      queue: 256,
    });
  });

  it('reads timeouts as durations', () => {
    expect(ldapProviderSchema.parse({ type: 'ldap', ...native, connect_timeout: '250ms', timeout: 2 })).toMatchObject({ connect_timeout: 250, timeout: 2000 });
  });

  it('accepts a list of URLs for failover', () => {
    expect(issuesOf({ ...native, url: ['ldaps://a.example.com', 'ldaps://b.example.com:1636'] })).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, ConfigIssue]>([
    ['no server', { ...native, url: undefined }, { path: 'url', message: expect.stringContaining('required') }],
    ['url and addr', { ...native, addr: 'ldap.example.com:389' }, { path: 'addr', message: 'use either url or addr, not both' }],
    ['an http URL', { ...native, url: 'http://ldap.example.com' }, { path: 'url', message: expect.stringContaining('ldap://') }],
    ['a base DN in the URL', { ...native, url: 'ldap://h/dc=example' }, { path: 'url', message: expect.stringContaining('only scheme, host and port') }],
    ['a bad URL in a list', { ...native, url: ['ldap://ok', 'nope'] }, { path: 'url[1]', message: expect.stringContaining('not a URL') }],
    ['tls always with ldap://', { ...native, url: 'ldap://h', tls: 'always' }, { path: 'tls', message: expect.stringContaining('ldaps://') }],
    ['tls starttls with ldaps://', { ...native, tls: 'starttls' }, { path: 'tls', message: expect.stringContaining('contradicts') }],
    ['addr without port', { ...dockerAuthReference, addr: 'ldap.example.com' }, { path: 'addr', message: expect.stringContaining('host:port') }],
    ['an unknown tls mode', { ...dockerAuthReference, tls: 'ssl' }, { path: 'tls', message: expect.any(String) }],
    ['a filter without ${account}', { ...native, filter: '(uid=alice)' }, { path: 'filter', message: 'must contain ${account}' }],
    ['an unknown placeholder', { ...native, filter: '(uid=${user})' }, { path: 'filter', message: expect.stringContaining('unknown placeholder ${user}') }],
    [
      'a filter that does not parse',
      { ...native, filter: '(&(uid=${account})' },
      { path: 'filter', message: expect.stringContaining('not a valid LDAP filter') },
    ],
    ['an invalid base DN', { ...native, base: 'example.com' }, { path: 'base', message: expect.stringContaining('not a valid DN') }],
    ['bind_dn without a password', { ...native, bind_password: undefined }, { path: 'bind_password_file', message: expect.stringContaining('required') }],
    ['both password forms', { ...native, bind_password_file: 'pw' }, { path: 'bind_password', message: expect.stringContaining('either') }],
    ['a password without bind_dn', { ...native, bind_dn: undefined }, { path: 'bind_dn', message: expect.stringContaining('required') }],
    [
      '${account} in bind_dn without initial_bind_as_user',
      { ...native, bind_dn: 'uid=${account},dc=x' },
      { path: 'bind_dn', message: expect.stringContaining('initial_bind_as_user') },
    ],
    ['initial_bind_as_user without ${account}', { ...native, initial_bind_as_user: true }, { path: 'bind_dn', message: 'must contain ${account}' }],
    [
      'initial_bind_as_user without bind_dn',
      { ...native, bind_dn: undefined, bind_password: undefined, initial_bind_as_user: true },
      { path: 'bind_dn', message: expect.stringContaining('required') },
    ],
    ['a label without attribute', { ...native, labels: { groups: { parse_cn: true } } }, { path: 'labels.groups.attribute', message: 'required' }],
    [
      'an attribute that is not a name',
      { ...native, labels: { groups: { attribute: 'member of' } } },
      { path: 'labels.groups.attribute', message: expect.stringContaining('attribute name') },
    ],
    [
      'a group filter without placeholder',
      { ...native, group_search: { base: 'ou=groups,dc=x', filter: '(cn=*)' } },
      { path: 'group_search.filter', message: 'must contain ${dn} or ${account}' },
    ],
    ['an old docker_auth key', { ...dockerAuthReference, method: 'simple_tls' }, { path: 'method', message: 'unknown key' }],
  ])('refuses %s, naming the key', (_case, input, expected) => {
    expect(issuesOf(input)).toContainEqual(expected);
  });
});
