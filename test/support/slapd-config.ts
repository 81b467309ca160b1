import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, SERVICE_ACCOUNT, SUFFIX } from './slapd-directory.js';

/**
 * What a test slapd starts from: a throwaway CA with a server certificate for 127.0.0.1, a CA
 * that did not issue it, and a slapd.conf with mdb, the memberof overlay and the access rules
 * the LDAP tests rely on.
 */

/** Where distributions put slapd's modules and schema files (Debian first). */
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib64/openldap', '/usr/lib/openldap', '/usr/libexec/openldap'];
const SCHEMA_DIRS = ['/etc/ldap/schema', '/etc/openldap/schema'];

export interface Pki {
  readonly caFile: string;
  readonly otherCaFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export function makeCertificates(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const at = (f: string): string => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=regauth test CA', ...caExt, '-keyout', at('ca.key'), '-out', at('ca.pem')]);
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=some other CA', ...caExt, '-keyout', at('other-ca.key'), '-out', at('other-ca.pem')]);
  openssl(['req', ...ec, '-subj', '/CN=localhost', '-keyout', at('server.key'), '-out', at('server.csr')]);
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl([
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    at('server.ext'),
    '-out',
    at('server.pem'),
  ]);
  return { caFile: at('ca.pem'), otherCaFile: at('other-ca.pem'), certFile: at('server.pem'), keyFile: at('server.key') };
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`could not run openssl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed (exit ${r.status}): ${r.stderr}`);
}

function firstExisting(dirs: readonly string[], file: string): string {
  const found = dirs.find((d) => existsSync(join(d, file)));
  if (!found) throw new Error(`cannot find ${file} in ${dirs.join(', ')}`);
  return found;
}

export function slapdConf(dir: string, pki: Pki): string {
  const schema = firstExisting(SCHEMA_DIRS, 'core.schema');
  const modules = firstExisting(MODULE_DIRS, 'back_mdb.la');
  // slapd.conf quotes values with spaces; temp paths have none, but quote anyway.
  const q = (s: string): string => `"${s}"`;
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include ${q(join(schema, `${s}.schema`))}`),
    `modulepath ${q(modules)}`,
    'moduleload back_mdb',
    'moduleload memberof',
    `pidfile ${q(join(dir, 'slapd.pid'))}`,
    `argsfile ${q(join(dir, 'slapd.args'))}`,
    // Accept "DN + empty password" as an anonymous bind, as many servers do: the tests prove
    // that such a bind never becomes a login.
    'allow bind_anon_dn',
    `TLSCACertificateFile ${q(pki.caFile)}`,
    `TLSCertificateFile ${q(pki.certFile)}`,
    `TLSCertificateKeyFile ${q(pki.keyFile)}`,
    'database mdb',
    'maxsize 16777216',
    `suffix ${q(SUFFIX)}`,
    `rootdn ${q(ADMIN.dn)}`,
    `rootpw ${q(ADMIN.password)}`,
    `directory ${q(join(dir, 'data'))}`,
    'overlay memberof',
    'memberof-group-oc groupOfNames',
    'memberof-member-ad member',
    'memberof-memberof-ad memberOf',
    'memberof-refint TRUE',
    'access to attrs=userPassword by self write by anonymous auth by * none',
    // Anonymous users see nothing, a user gets only their own entry back (search access lets
    // their search start at the base): only the service account can find someone else, so a
    // connection left bound as a user cannot pass for it.
    `access to * by dn.exact=${q(SERVICE_ACCOUNT.dn)} read by self read by users search by * none`,
    '',
  ].join('\n');
}
