import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslKeyPair } from '../support/openssl-keys.js';
import { PEOPLE_BASE, SERVICE_ACCOUNT, SUFFIX } from '../support/slapd-directory.js';
import { startSlapd, type RunningSlapd } from '../support/slapd.js';
import { claimsOf } from '../support/token-server.fixture.js';

/** Configs that send token-endpoint logins to a real slapd, in regauth's and docker_auth's format. */

export const SERVICE = 'it-registry';
export const scopeQuery = `service=${SERVICE}&scope=repository:dev/app:pull,push`;
export const accessOf = async (res: Response): Promise<unknown> => claimsOf(((await res.json()) as { token: string }).token).access;

const ACL = `
acl:
  - { match: { labels: { groups: developers }, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: alice, name: "alice/*" }, actions: ["*"] }
  - { match: { account: "/.+/" }, actions: [pull] }
`;

const UID_FILTER = '(&(uid=${account})(objectClass=inetOrgPerson))';

export function nativeConfig(dir: string, slapd: RunningSlapd, ca: string, filter = UID_FILTER): string {
  const file = join(dir, `native-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(
    file,
    `
server: { addr: "127.0.0.1:0", request_timeout: 1s }
token:
  issuer: it-ldap
  expiration: 300
  generate_missing: true
  keys: [{ key: keys/key.pem, certificate: keys/cert.pem }]
  refresh: { secrets: [keys/refresh.secret] }
services: [${SERVICE}]
authn:
  - type: ldap
    name: corp
    cache: 0s # the outage cases need every login to reach slapd
    url: [${slapd.ldapsUrl}]
    ca_certificate: ${ca}
    bind_dn: "${SERVICE_ACCOUNT.dn}"
    bind_password: "\${file:reader.pw}"
    base: "${SUFFIX}"
    filter: "${filter}"
    account_attribute: uid
    labels: { groups: { attribute: memberOf, parse_cn: true, lower_case: true } }
${ACL}`,
  );
  return file;
}

const SERVICE_BIND = `
  bind_dn: "${SERVICE_ACCOUNT.dn}"
  bind_password_file: reader.pw`;
export const USER_BIND = `
  initial_bind_as_user: true
  bind_dn: "uid=\${account},${PEOPLE_BASE}"`;

export function dockerAuthConfig(dir: string, slapd: RunningSlapd, bind = SERVICE_BIND): string {
  const file = join(dir, `auth_config-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(
    file,
    `
server:
  addr: "127.0.0.1:0"
token:
  issuer: "it-ldap"
  expiration: 900
  certificate: "keys/rsa-token.cert.pem"
  key: "keys/rsa-token.key.pem"
ldap_auth:
  addr: "127.0.0.1:${slapd.ldapPort}"
  tls: starttls
  insecure_tls_skip_verify: false
  ca_certificate: ca.pem${bind}
  base: "${SUFFIX}"
  filter: "(&(uid=\${account})(objectClass=inetOrgPerson))"
  labels:
    groups:
      attribute: memberOf
      parse_cn: true
      lower_case: true
${ACL}`,
  );
  return file;
}

export interface LdapHttpFixture {
  readonly slapd: RunningSlapd;
  /** Config folder: the service password, slapd's CA as ca.pem, RSA token keys under keys/. */
  readonly dir: string;
}

/** slapd and a config folder for the calling file, removed after its tests. */
export function useLdapHttp(): LdapHttpFixture {
  let slapd: RunningSlapd;
  let dir: string;

  beforeAll(async () => {
    slapd = await startSlapd();
    dir = mkdtempSync(join(tmpdir(), 'regauth-ldap-http-'));
    writeFileSync(join(dir, 'reader.pw'), `${SERVICE_ACCOUNT.password}\n`);
    copyFileSync(slapd.caFile, join(dir, 'ca.pem'));
    opensslKeyPair(join(dir, 'keys'), 'rsa');
  });
  afterAll(async () => {
    await slapd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    get slapd() {
      return slapd;
    },
    get dir() {
      return dir;
    },
  };
}
