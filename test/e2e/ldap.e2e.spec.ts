import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fetchToken, startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { buildTinyOciImage, type TinyOciImage } from '../support/oci-image.js';
import { opensslKeyPair } from '../support/openssl-keys.js';
import { copyFromRegistry, copyToRegistry } from '../support/skopeo.js';
import { PEOPLE, SERVICE_ACCOUNT, SUFFIX } from '../support/slapd-directory.js';
import { requireSlapd, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * LDAP users through the whole chain: skopeo → registry 2.8 → regauth → slapd (LDAPS). The ACL
 * grants push on dev/* to the `developers` group label, which comes from memberOf; a user
 * outside the group is refused by the registry itself.
 */

setTestFileTimeout(120_000);
const { describeIf } = requireSlapd('docker-registry', 'skopeo');

const SERVICE = 'e2e-ldap-registry';
const ISSUER = 'e2e-ldap-issuer';
const REFUSED = /unauthorized|denied|authentication required|invalid username\/password|insufficient_scope/i;
const creds = (p: { uid: string; password: string }): { user: string; password: string } => ({ user: p.uid, password: p.password });
const { alice, carol } = PEOPLE;

function writeConfig(work: string, slapd: RunningSlapd, keys: { keyPath: string; certPath: string }): string {
  copyFileSync(slapd.caFile, join(work, 'ldap-ca.pem'));
  writeFileSync(join(work, 'reader.password'), SERVICE_ACCOUNT.password);
  const file = join(work, 'regauth.yml');
  writeFileSync(
    file,
    `server: { addr: "127.0.0.1:0" }
token:
  issuer: "${ISSUER}"
  expiration: 300
  keys: [ { key: ${basename(keys.keyPath)}, certificate: ${basename(keys.certPath)} } ]
services: ["${SERVICE}"]
authn:
  - type: ldap
    name: corp
    url: ${slapd.ldapsUrl}
    ca_certificate: ldap-ca.pem
    bind_dn: "${SERVICE_ACCOUNT.dn}"
    bind_password_file: reader.password
    base: "${SUFFIX}"
    filter: "(&(uid=\${account})(objectClass=inetOrgPerson))"
    account_attribute: uid
    labels: { groups: { attribute: memberOf, parse_cn: true, lower_case: true } }
acl:
  - { match: { labels: { groups: developers }, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: "/.+/" }, actions: [pull] }
`,
  );
  return file;
}

describeIf('LDAP users push and pull through the real registry', () => {
  let slapd: RunningSlapd;
  let work: string;
  let image: TinyOciImage;
  let stack: AuthStack;
  const ref = (name: string): string => `${stack.registry.host}/${name}`;

  beforeAll(async () => {
    slapd = await startSlapd();
    work = mkdtempSync(join(tmpdir(), 'regauth-e2e-ldap-'));
    const keys = opensslKeyPair(work, 'ec');
    image = await buildTinyOciImage(join(work, 'image'));
    stack = await startAuthStack({ configFile: writeConfig(work, slapd, keys), service: SERVICE, issuer: ISSUER, rootCertBundlePath: keys.certPath });
  });
  afterAll(async () => {
    await stack?.stop();
    await slapd?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a member of the developers group pushes dev/app:1', async () => {
    const sut = await copyToRegistry(image.layoutDir, ref('dev/app:1'), creds(alice));
    expect(sut.stderr).not.toMatch(REFUSED);
    expect(sut).toMatchObject({ code: 0, digest: image.manifestDigest });
  });

  it('a user outside the group is refused the push', async () => {
    const sut = await copyToRegistry(image.layoutDir, ref('dev/app:2'), creds(carol));
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });

  it('the user outside the group still pulls what the group pushed', async () => {
    await copyToRegistry(image.layoutDir, ref('dev/shared:1'), creds(alice));
    const sut = await copyFromRegistry(ref('dev/shared:1'), join(work, 'pulled-by-carol'), creds(carol));
    expect(sut).toMatchObject({ code: 0, digest: image.manifestDigest });
  });

  it('a wrong directory password gets nothing', async () => {
    const sut = await copyToRegistry(image.layoutDir, ref('dev/app:3'), { user: alice.uid, password: 'not-her-password' });
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });

  it("tokens name the directory's spelling of the account", async () => {
    const sut = await fetchToken(stack, 'repository:dev/app:pull', { user: 'Alice', password: alice.password });
    expect(sut.status).toBe(200);
    expect(JSON.parse(Buffer.from(sut.token!.split('.')[1], 'base64url').toString())).toMatchObject({ sub: 'alice' });
  });
});
