import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchToken, registryGet, startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { buildTinyOciImage, type TinyOciImage } from '../support/oci-image.js';
import { opensslKeyPair, type KeyKind, type KeyPairFiles } from '../support/openssl-keys.js';
import { requireBinaries } from '../support/require-binary.js';
import { copyFromRegistry, copyToRegistry, deleteImage, inspectDigest } from '../support/skopeo.js';
import { setTestFileTimeout } from '../support/test-timeout.js';
import { ISSUER, SERVICE, users, writeDockerAuthConfig, writeNativeConfig } from './e2e-configs.js';

/**
 * regauth in front of the real registry 2.8, driven by the real skopeo: the registry must accept
 * every token we sign for what the ACL allows and refuse what it does not (docs/protocol.md §1, §3.4,
 * checklist J.84). Users and ACL: see e2e-configs.ts.
 */

setTestFileTimeout(120_000);
const { describeIf } = requireBinaries(['docker-registry', 'skopeo', 'openssl']);

/** skopeo's words when the registry or the token endpoint turned it away. */
const REFUSED = /unauthorized|denied|authentication required|invalid username\/password|insufficient_scope/i;

interface Fixture {
  readonly work: string;
  readonly image: TinyOciImage;
  readonly stack: AuthStack;
  /** host/name:tag on the fixture's registry */
  ref(name: string): string;
}

/** Starts regauth + registry for one describe block and pushes the images the cases read. */
function useStack(kind: KeyKind, writeConfig: (dir: string, keys: KeyPairFiles) => string): () => Fixture {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'regauth-e2e-'));
    const keys = opensslKeyPair(work, kind);
    const configFile = writeConfig(work, keys);
    const image = await buildTinyOciImage(join(work, 'image'));
    const stack = await startAuthStack({ configFile, service: SERVICE, issuer: ISSUER, rootCertBundlePath: keys.certPath });
    fixture = { work, image, stack, ref: (name) => `${stack.registry.host}/${name}` };
    for (const seed of ['dev/seed:1', 'public/base:1']) {
      const pushed = await copyToRegistry(image.layoutDir, fixture.ref(seed), users.admin);
      if (pushed.code !== 0) throw new Error(`seeding ${seed} as admin failed:\n${pushed.stderr}\n--- registry ---\n${stack.registry.logs()}`);
    }
  });
  afterAll(async () => {
    await fixture?.stack.stop();
    if (fixture) rmSync(fixture.work, { recursive: true, force: true });
  });
  return () => {
    if (!fixture) throw new Error('stack not started (see the beforeAll error)');
    return fixture;
  };
}

/** The push/pull/refuse cases every config format must pass. */
function pushPullCases(f: () => Fixture): void {
  it('admin pushes dev/app:1 and the registry stores the image digest', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('dev/app:1'), users.admin);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('a pull gives back the manifest digest that was pushed', async () => {
    const sut = await copyFromRegistry(f().ref('dev/seed:1'), join(f().work, 'pull-admin'), users.admin);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('puller can pull', async () => {
    const sut = await copyFromRegistry(f().ref('dev/seed:1'), join(f().work, 'pull-puller'), users.puller);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('puller cannot push: skopeo fails and the registry refuses', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('dev/by-puller:1'), users.puller);
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });

  it('anonymous pull of public/base works', async () => {
    const sut = await copyFromRegistry(f().ref('public/base:1'), join(f().work, 'pull-anonymous'), null);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('anonymous push is refused', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('public/by-anonymous:1'), null);
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });
}

/** The remaining cases, for regauth's own config format. */
function accessCases(f: () => Fixture): void {
  it('pusher can push to dev/x', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('dev/x:1'), users.pusher);
    expect(sut).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });

  it('pusher cannot push to prod/x', async () => {
    const sut = await copyToRegistry(f().image.layoutDir, f().ref('prod/x:1'), users.pusher);
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
  });

  it('a wrong password makes skopeo fail with an authentication error', async () => {
    const sut = await inspectDigest(f().ref('dev/seed:1'), { user: users.admin.user, password: 'not-the-password' });
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(/invalid username\/password|unauthorized/i);
  });

  it('admin lists the catalog with a registry:catalog:* token', async () => {
    const token = await fetchToken(f().stack, 'registry:catalog:*', users.admin);
    expect(token.status).toBe(200);
    const sut = await registryGet(f().stack, '/v2/_catalog', token.token);
    expect(sut.status).toBe(200);
    const body = (await sut.json()) as { repositories: string[] };
    expect(body.repositories).toEqual(expect.arrayContaining(['dev/seed', 'public/base']));
  });

  it('puller gets a token without the catalog, which the registry answers with 401', async () => {
    const token = await fetchToken(f().stack, 'registry:catalog:*', users.puller);
    expect(token.status).toBe(200);
    const sut = await registryGet(f().stack, '/v2/_catalog', token.token);
    expect(sut.status).toBe(401);
    expect(sut.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('admin deletes an image, after which the tag no longer resolves', async () => {
    const pushed = await copyToRegistry(f().image.layoutDir, f().ref('dev/doomed:1'), users.admin);
    expect(pushed.code).toBe(0);
    const sut = await deleteImage(f().ref('dev/doomed:1'), users.admin);
    expect(sut).toMatchObject({ code: 0 });
    const after = await inspectDigest(f().ref('dev/doomed:1'), users.admin);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/manifest unknown|not found/i);
  });

  it('puller cannot delete, and the image stays', async () => {
    const sut = await deleteImage(f().ref('dev/seed:1'), users.puller);
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(REFUSED);
    const still = await inspectDigest(f().ref('dev/seed:1'), users.admin);
    expect(still).toMatchObject({ code: 0, digest: f().image.manifestDigest });
  });
}

describeIf('regauth + registry 2.8 + skopeo', () => {
  describe.each([
    { alg: 'RS256', kind: 'rsa' as const, x5c: true },
    { alg: 'RS256', kind: 'rsa' as const, x5c: false },
    { alg: 'ES256', kind: 'ec' as const, x5c: true },
    { alg: 'ES256', kind: 'ec' as const, x5c: false },
  ])('native config, $alg, x5c $x5c', ({ kind, x5c }) => {
    const fixture = useStack(kind, (dir, keys) => writeNativeConfig(dir, { keys, x5c }));
    pushPullCases(fixture);
    accessCases(fixture);
  });

  describe('docker_auth auth_config.yml, RS256', () => {
    const fixture = useStack('rsa', writeDockerAuthConfig);
    pushPullCases(fixture);
  });
});
