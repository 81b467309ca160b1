import { FilterParser } from 'ldapts';
import { credentialCacheField } from '../credential-cache.js';
import { z } from 'zod';
import { duration } from '../../common/duration.js';
import { parseDn } from './ldap-dn.js';
import { compileTemplate } from './ldap-escape.js';

/**
 * `type: ldap`. The keys are docker_auth's `ldap_auth` keys, as they are (so its section is this
 * provider with `type` added), plus our extensions: `url` (a list = failover), `bind_password`
 * (for `${env:…}`), timeouts, `group_search`, `account_attribute`, pool and concurrency bounds.
 * docker_auth's reference config leaves unused keys empty (YAML null), so those accept null.
 */

const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*|\d+(?:\.\d+)+)$/;
const attribute = z.string().regex(ATTRIBUTE, 'expected an LDAP attribute name, e.g. memberOf');

const labelMap = z.strictObject({
  attribute: attribute.describe('Attribute of the user entry whose values become the label values'),
  parse_cn: z.boolean().nullish().describe('Keep only the first CN of DN values (cn=Developers,ou=groups,... → Developers)'),
  lower_case: z.boolean().nullish().describe('Lower-case the values'),
});

const groupSearch = z.strictObject({
  base: z.string().min(1).describe('Where groups live, e.g. ou=groups,dc=example,dc=org'),
  filter: z.string().min(1).describe("Filter for the user's groups with ${dn} (user entry DN) or ${account}, e.g. (&(objectClass=groupOfNames)(member=${dn}))"),
  attribute: attribute.default('cn').describe('Attribute of each group entry that becomes a label value'),
  label: z.string().min(1).default('groups').describe('Label that receives the values'),
  parse_cn: z.boolean().default(false),
  lower_case: z.boolean().default(false),
});

const ldapUrl = z.string().describe('ldap://host[:389] or ldaps://host[:636]');

export const ldapProviderSchema = z
  .strictObject({
    type: z.literal('ldap'),
    name: z.string().min(1).optional(),
    ...credentialCacheField,
    url: z
      .union([ldapUrl, z.array(ldapUrl).min(1)])
      .optional()
      .describe('Directory server URL; a list is tried in order (failover: a server that fails or hangs is tried last for 30s). Use url or addr'),
    addr: z.string().nullish().describe('docker_auth style host:port (use url or addr)'),
    tls: z
      .enum(['none', 'starttls', 'always', ''])
      .nullish()
      .describe('none | starttls | always (LDAPS); with addr, port 636 implies always; with url, only starttls applies'),
    insecure_tls_skip_verify: z.boolean().nullish().describe('Do not verify the server certificate (never in production)'),
    ca_certificate: z.string().nullish().describe('PEM file of the CA(s) that sign the server certificate; default: system CAs'),
    bind_dn: z.string().nullish().describe("Service account DN for the user search; with initial_bind_as_user, the user's DN with ${account}"),
    bind_password_file: z.string().nullish().describe('File holding the service account password (trimmed)'),
    bind_password: z.string().optional().describe('Service account password, usually "${env:NAME}"; or bind_password_file'),
    initial_bind_as_user: z.boolean().nullish().describe('Bind as the user (bind_dn with ${account}) instead of a service account'),
    base: z.string().min(1).describe('Search base for users, e.g. ou=people,dc=example,dc=org'),
    filter: z.string().min(1).describe('User filter with ${account} (escaped per RFC 4515), e.g. (&(uid=${account})(objectClass=person))'),
    labels: z
      .record(z.string().min(1), labelMap)
      .nullish()
      .describe('Labels from attributes of the user entry: { name: { attribute, parse_cn, lower_case } }; at most 256 values per label, the rest dropped'),
    group_search: groupSearch
      .optional()
      .describe('Labels from a group search, for directories without memberOf; reads at most 256 groups (narrow the filter for users in more)'),
    account_attribute: attribute
      .optional()
      .describe(
        'Take the account name from this single-valued attribute of the entry (e.g. uid), so Alice and alice are one account; refresh finds the entry by it, with ${account} in filter read as *',
      ),
    connect_timeout: duration.prefault('3s').describe('Deadline for TCP connect and TLS handshake, per server'),
    timeout: duration.prefault('5s').describe('Deadline for each LDAP operation'),
    pool_size: z.number().int().min(0).max(64).default(4).describe('Idle service-account connections kept open'),
    concurrency: z.number().int().min(1).max(1024).default(32).describe('Logins talking to the directory at once'),
    queue: z.number().int().min(0).max(100_000).default(256).describe('Logins waiting for a slot; more → 503'),
  })
  .superRefine((cfg, ctx) => {
    const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    checkServer(cfg, issue);
    checkBind(cfg, issue);
    checkTemplate(cfg.filter, ['account'], (m) => issue(['filter'], m), true);
    if (parseDn(cfg.base) === null) issue(['base'], `not a valid DN: "${cfg.base}"`);
    if (cfg.group_search) {
      const g = cfg.group_search;
      if (parseDn(g.base) === null) issue(['group_search', 'base'], `not a valid DN: "${g.base}"`);
      checkTemplate(g.filter, ['dn', 'account'], (m) => issue(['group_search', 'filter'], m), false);
    }
  });

export type LdapProviderConfig = z.output<typeof ldapProviderSchema>;
type Issue = (path: PropertyKey[], message: string) => void;

function checkServer(cfg: LdapProviderConfig, issue: Issue): void {
  const hasAddr = cfg.addr !== undefined && cfg.addr !== null && cfg.addr !== '';
  if (cfg.url === undefined && !hasAddr) {
    issue(['url'], "required: url (ldap://host or ldaps://host), or docker_auth's addr (host:port)");
  }
  if (cfg.url !== undefined && hasAddr) issue(['addr'], 'use either url or addr, not both');
  if (hasAddr && !/^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(cfg.addr!)) {
    issue(['addr'], `expected host:port, e.g. ldap.example.com:389 (got "${cfg.addr}")`);
  }
  const urls = cfg.url === undefined ? [] : [cfg.url].flat();
  urls.forEach((url, i) => {
    const path = Array.isArray(cfg.url) ? ['url', i] : ['url'];
    const problem = ldapUrlProblem(url);
    if (problem) return issue(path, problem);
    const ldaps = url.toLowerCase().startsWith('ldaps:');
    if (ldaps && (cfg.tls === 'starttls' || cfg.tls === 'none')) issue(['tls'], `tls: ${cfg.tls} contradicts ${url}`);
    if (!ldaps && cfg.tls === 'always') issue(['tls'], `tls: always needs an ldaps:// url (got ${url})`);
  });
}

/** Why `url` is not an LDAP server URL, or undefined when it is one. */
export function ldapUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL: "${url}" (expected ldap://host:389 or ldaps://host:636)`;
  }
  if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') return `expected an ldap:// or ldaps:// URL (got "${url}")`;
  if (!parsed.hostname) return `no host in "${url}"`;
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search || parsed.hash || parsed.username) {
    return `only scheme, host and port are allowed in "${url}" (base and filter have their own keys)`;
  }
  return undefined;
}

function checkBind(cfg: LdapProviderConfig, issue: Issue): void {
  const bindDn = cfg.bind_dn || undefined;
  const passwordFile = cfg.bind_password_file || undefined;
  if (cfg.initial_bind_as_user) {
    if (!bindDn) return issue(['bind_dn'], "required with initial_bind_as_user: the user's DN with ${account}");
    checkTemplate(bindDn, ['account'], (m) => issue(['bind_dn'], m), true, 'dn');
    return;
  }
  if (bindDn?.includes('${')) {
    issue(['bind_dn'], 'placeholders in bind_dn need initial_bind_as_user: true');
    return;
  }
  if (bindDn && parseDn(bindDn) === null) issue(['bind_dn'], `not a valid DN: "${bindDn}"`);
  if (bindDn && passwordFile === undefined && cfg.bind_password === undefined) {
    issue(['bind_password_file'], 'required with bind_dn (or bind_password)');
  }
  if (passwordFile !== undefined && cfg.bind_password !== undefined) {
    issue(['bind_password'], 'use either bind_password or bind_password_file, not both');
  }
  if (!bindDn && (passwordFile !== undefined || cfg.bind_password !== undefined)) {
    issue(['bind_dn'], 'required when a bind password is set');
  }
}

/**
 * A filter (or DN) template must use only known placeholders, and must still parse once they
 * are filled, so a typo is a startup error rather than a 503 on every login.
 */
function checkTemplate(text: string, known: string[], report: (m: string) => void, required: boolean, kind: 'filter' | 'dn' = 'filter'): void {
  const template = compileTemplate(text);
  const unknown = template.placeholders.filter((p) => !known.includes(p));
  if (unknown.length > 0) {
    return report(`unknown placeholder ${unknown.map((p) => `\${${p}}`).join(', ')} (known: ${known.map((p) => `\${${p}}`).join(', ')})`);
  }
  if (template.placeholders.length === 0) {
    return report(required ? `must contain \${${known[0]}}` : `must contain ${known.map((p) => `\${${p}}`).join(' or ')}`);
  }
  const sample = template.render({ account: 'sample', dn: 'cn=sample,dc=example' }, (v) => v);
  if (kind === 'dn') {
    if (parseDn(sample) === null) report(`not a valid DN: "${text}"`);
    return;
  }
  try {
    // ldapts forgives a missing closing paren; a filter that needs forgiving is a typo.
    if (!parensBalanced(sample)) throw new Error('unbalanced parentheses');
    FilterParser.parseString(sample);
  } catch (err) {
    report(`not a valid LDAP filter (RFC 4515): ${(err as Error).message.split('. Full string')[0]}`);
  }
}

function parensBalanced(filter: string): boolean {
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (c === '\\') i += 2;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
