import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { buildTinyOciImage, type TinyOciImage } from '../support/oci-image.js';
import { startIssuer, type LocalIssuer } from '../support/oidc-issuer.js';
import { opensslKeyPair } from '../support/openssl-keys.js';
import { requireBinaries } from '../support/require-binary.js';
import { copyFromRegistry, copyToRegistry } from '../support/skopeo.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * A CI job with no shared secret (docs/ci-workload-identity.md): its id token, minted by a real
 * local issuer, is the password skopeo gives the real registry's token flow. The token's claims
 * allow pushing to its own repository only.
 */

setTestFileTimeout(120_000);

const SERVICE = 'oidc-e2e-registry';
const ISSUER = 'oidc-e2e-issuer';
const AUDIENCE = 'https://registry.oidc-e2e.test';
const REFUSED = /unauthorized|denied|authentication required|insufficient_scope/i;

requireBinaries(['docker-registry', 'skopeo', 'openssl']).describeIf('a CI job logging in with its id token, real registry and skopeo', () => {
  let work: string;
  let issuer: LocalIssuer;
  let stack: AuthStack;
  let image: TinyOciImage;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'regauth-oidc-e2e-'));
    issuer = await startIssuer();
    const keys = opensslKeyPair(work, 'ec');
    const configFile = join(work, 'regauth.yml');
    writeFileSync(
      configFile,
      `token:
  issuer: "${ISSUER}"
  keys: [ { key: ${basename(keys.keyPath)}, certificate: ${basename(keys.certPath)} } ]
services: ["${SERVICE}"]
authn:
  - name: jobs
    type: oidc
    user: oidc
    issuers:
      - issuer: "${issuer.url}"
        audience: "${AUDIENCE}"
        account: "\${repository}"
        labels: { repository: repository, owner: repository_owner }
        conditions: { repository_owner: acme }
acl:
  - { match: { labels: { owner: acme }, name: "\${account}" }, actions: [pull, push] }
`,
    );
    stack = await startAuthStack({ configFile, service: SERVICE, issuer: ISSUER, rootCertBundlePath: keys.certPath });
    image = await buildTinyOciImage(join(work, 'image'));
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const jobToken = (repository: string, owner = 'acme'): Promise<string> =>
    issuer.mint({ sub: `repo:${repository}:ref:refs/heads/main`, aud: AUDIENCE, repository, repository_owner: owner });

  it('pushes to the repository its claims name, and pulls it back', async () => {
    const creds = { user: 'oidc', password: await jobToken('acme/app') };
    const ref = `${stack.registry.host}/acme/app:1`;
    expect(await copyToRegistry(image.layoutDir, ref, creds)).toMatchObject({ code: 0, digest: image.manifestDigest });
    expect(await copyFromRegistry(ref, join(work, 'pulled'), creds)).toMatchObject({ code: 0, digest: image.manifestDigest });
  });

  it('is refused on another repository, even of the same owner', async () => {
    const sut = await copyToRegistry(image.layoutDir, `${stack.registry.host}/acme/other:1`, { user: 'oidc', password: await jobToken('acme/app') });
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });

  it("is refused with a token from another owner's job on the same issuer", async () => {
    const sut = await copyToRegistry(image.layoutDir, `${stack.registry.host}/evil/app:1`, { user: 'oidc', password: await jobToken('evil/app', 'evil') });
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });
});
