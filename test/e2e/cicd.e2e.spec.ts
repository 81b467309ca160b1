import bcrypt from 'bcrypt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { buildTinyOciImage, type TinyOciImage } from '../support/oci-image.js';
import { opensslKeyPair, type KeyPairFiles } from '../support/openssl-keys.js';
import { requireBinaries } from '../support/require-binary.js';
import { copyFromRegistry, copyToRegistry, deleteImage, type Creds } from '../support/skopeo.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * The usual CI setup end to end: CI jobs log in as `cicd` with a shared secret that the shipped
 * plugins/ext_auth.sh checks against CICD_SECRET from regauth's environment, then push through
 * skopeo to the real registry. Once in regauth's native config (as config/example-cicd.yml),
 * once as an unchanged docker_auth auth_config.yml with ext_auth and ext_authz.
 */

setTestFileTimeout(120_000);
const { describeIf } = requireBinaries(['docker-registry', 'skopeo', 'openssl']);

const SERVICE = 'cicd-e2e-registry';
const ISSUER = 'cicd-e2e-issuer';
const PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
const CICD_SECRET = 'e2e shared ci secret';
const admin: Creds = { user: 'admin', password: 'admin-cicd-e2e-pw' };
const dev: Creds = { user: 'dev', password: 'dev-cicd-e2e-pw' };
const cicd: Creds = { user: 'cicd', password: CICD_SECRET };
const REFUSED = /unauthorized|denied|authentication required|invalid username\/password|insufficient_scope/i;

const hash = (creds: Creds): string => bcrypt.hashSync(creds.password, 4);

function writeNativeConfig(dir: string, keys: KeyPairFiles): string {
  const file = join(dir, 'regauth.yml');
  writeFileSync(
    file,
    `token:
  issuer: "${ISSUER}"
  keys: [ { key: ${basename(keys.keyPath)}, certificate: ${basename(keys.certPath)} } ]
services: ["${SERVICE}"]
authn:
  - type: static
    users:
      admin: { password: "${hash(admin)}" }
  - type: command
    command: "${PLUGINS}ext_auth.sh"
    env: [CICD_SECRET]
acl:
  - { match: { account: admin }, actions: ["*"] }
  - { match: { labels: { group: CICD } }, actions: [pull, push] }
  - { match: { account: "/.+/" }, actions: [pull] }
`,
  );
  return file;
}

/** docker_auth's layout, as operators have it: no env list, ext_auth reads the whole environment. */
function writeDockerAuthConfig(dir: string, keys: KeyPairFiles): string {
  const file = join(dir, 'auth_config.yml');
  writeFileSync(
    file,
    `server:
  addr: ":5001"
token:
  issuer: "${ISSUER}"
  expiration: 900
  certificate: "${basename(keys.certPath)}"
  key: "${basename(keys.keyPath)}"
users:
  "admin": { password: "${hash(admin)}" }
  "dev": { password: "${hash(dev)}" }
ext_auth:
  command: "${PLUGINS}ext_auth.sh"
  args: []
ext_authz:
  command: "${PLUGINS}ext_authz.sh"
  args: []
acl:
  - match: { account: "admin" }
    actions: ["*"]
  - match: { labels: { group: "CICD" } }
    actions: ["pull", "push"]
`,
  );
  return file;
}

interface Fixture {
  readonly work: string;
  readonly image: TinyOciImage;
  readonly stack: AuthStack;
  ref(name: string): string;
}

function useStack(writeConfig: (dir: string, keys: KeyPairFiles) => string): () => Fixture {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    // The secret lives in regauth's environment, as in a CI deployment.
    process.env.CICD_SECRET = CICD_SECRET;
    const work = mkdtempSync(join(tmpdir(), 'regauth-cicd-e2e-'));
    const keys = opensslKeyPair(work, 'ec');
    const configFile = writeConfig(work, keys);
    const image = await buildTinyOciImage(join(work, 'image'));
    const stack = await startAuthStack({ configFile, service: SERVICE, issuer: ISSUER, rootCertBundlePath: keys.certPath });
    fixture = { work, image, stack, ref: (name) => `${stack.registry.host}/${name}` };
  });
  afterAll(async () => {
    await fixture?.stack.stop();
    if (fixture) rmSync(fixture.work, { recursive: true, force: true });
    delete process.env.CICD_SECRET;
  });
  return () => {
    if (!fixture) throw new Error('stack not started (see the beforeAll error)');
    return fixture;
  };
}

function cicdCases(f: () => Fixture): void {
  it('cicd pushes with the shared secret and the registry stores the image', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('ci/app:1'), cicd);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('cicd pulls back what it pushed', async () => {
    const sut = await copyFromRegistry(f().ref('ci/app:1'), join(f().work, `pull-${Math.random().toString(36).slice(2)}`), cicd);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('cicd with a wrong secret is refused', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('ci/wrong:1'), { user: 'cicd', password: 'not-the-ci-secret' });
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });
}

describeIf('CI login through ext_auth.sh, real registry and skopeo', () => {
  describe('native config (as config/example-cicd.yml)', () => {
    const fixture = useStack(writeNativeConfig);
    cicdCases(fixture);
  });

  describe('docker_auth auth_config.yml with ext_auth and ext_authz, unchanged', () => {
    const f = useStack(writeDockerAuthConfig);
    cicdCases(f);

    it('dev, whom the acl does not cover, pulls through ext_authz', async () => {
      const sut = await copyFromRegistry(f().ref('ci/app:1'), join(f().work, 'pull-dev'), dev);
      expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
    });

    it('dev cannot delete: ext_authz refuses requests that include delete', async () => {
      const sut = await deleteImage(f().ref('ci/app:1'), dev);
      expect(sut.code).not.toBe(0);
      expect(sut.stderr).toMatch(REFUSED);
      const still = await copyFromRegistry(f().ref('ci/app:1'), join(f().work, 'pull-after-delete'), admin);
      expect(still).toMatchObject({ code: 0, digest: f().image.manifestDigest });
    });
  });
});
