import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildAccessClaims,
  createJwtSigner,
  createRefreshTokens,
  generateKeyAndCertificate,
  keyIdFor,
  loadKeySet,
  newJti,
  type AccessEntry,
  type KeySet,
} from '../../src/token/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry-process.js';
import { requireBinaries } from '../support/require-binary.js';

/**
 * What a real registry 2.8 (Debian's docker-registry) accepts from the token module: generated
 * certificates as rootcertbundle, libtrust kid, x5c, both algorithms. Skipped loudly where the
 * binary is not installed, except in CI, where a missing binary fails.
 */
const { describeIf: describeWithRegistry } = requireBinaries(['docker-registry']);
const issuer = 'Auth Service';
const service = 'registry test';
const pullApp: AccessEntry[] = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

let dir: string;
let registry: RunningRegistry | undefined;
let baseUrl: string;
let trusted: KeySet;
let untrusted: KeySet;

async function keySetIn(prefix: string, types: ('ec' | 'rsa')[]): Promise<KeySet> {
  const keys = [];
  for (const [index, type] of types.entries()) {
    const { keyPem, certPem } = await generateKeyAndCertificate({ type, commonName: `${prefix} ${index}`, days: 2 });
    const key = join(dir, `${prefix}-${index}.key.pem`);
    const certificate = join(dir, `${prefix}-${index}.cert.pem`);
    writeFileSync(key, keyPem, { mode: 0o600 });
    writeFileSync(certificate, certPem);
    keys.push({ key, certificate });
  }
  return loadKeySet({ keys, kidFormat: 'libtrust', x5c: true });
}

function claimsFor(access: AccessEntry[]) {
  const now = Date.now();
  return buildAccessClaims({ issuer, subject: 'alice', audience: service, access, now, ttlSeconds: 300, jti: newJti() });
}

function token(keySet: KeySet, opts: { x5c: boolean; keyIndex?: number; access?: AccessEntry[] }): Promise<string> {
  return createJwtSigner(keySet.all[opts.keyIndex ?? 0], { x5c: opts.x5c }).sign(claimsFor(opts.access ?? []));
}

async function statusWith(bearer: string, path = '/v2/'): Promise<number> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  await response.arrayBuffer();
  return response.status;
}

describeWithRegistry('tokens presented to registry 2.8', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-registry-'));
    trusted = await keySetIn('trusted', ['ec', 'rsa']);
    untrusted = await keySetIn('untrusted', ['ec']);
    writeFileSync(join(dir, 'bundle.pem'), trusted.bundlePem);
    registry = await startRegistry({ realm: 'http://127.0.0.1/auth', service, issuer, rootCertBundlePath: join(dir, 'bundle.pem') });
    baseUrl = registry.url;
  });

  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts an ES256 token identified by its libtrust kid', async () => {
    expect(await statusWith(await token(trusted, { x5c: false }))).toBe(200);
  });

  it('accepts an ES256 token identified by x5c', async () => {
    expect(await statusWith(await token(trusted, { x5c: true }))).toBe(200);
  });

  it('accepts an x5c token whatever its kid, since x5c is checked first', async () => {
    const signer = createJwtSigner({ ...trusted.signer, kid: 'not-a-known-kid' }, { x5c: true });

    expect(await statusWith(await signer.sign(claimsFor([])))).toBe(200);
  });

  it('accepts an RS256 token of a second published key', async () => {
    expect(await statusWith(await token(trusted, { x5c: false, keyIndex: 1 }))).toBe(200);
  });

  it('lets the granted access through to a repository', async () => {
    const status = await statusWith(await token(trusted, { x5c: true, access: pullApp }), '/v2/team/app/tags/list');

    expect(status).toBe(404);
  });

  it('refuses a repository request the token grants nothing for', async () => {
    expect(await statusWith(await token(trusted, { x5c: true }), '/v2/team/app/tags/list')).toBe(401);
  });

  it('refuses a distribution-thumbprint kid, which registry 2.8 does not know', async () => {
    const key = trusted.signer;
    const signer = createJwtSigner({ ...key, kid: keyIdFor(key.publicKey, 'jwk-thumbprint') }, { x5c: false });

    expect(await statusWith(await signer.sign(claimsFor([])))).toBe(401);
  });

  it('refuses a key whose certificate is not in the bundle, even with its own x5c', async () => {
    expect(await statusWith(await token(untrusted, { x5c: true }))).toBe(401);
  });

  it('refuses a refresh token presented as a bearer token', async () => {
    const refresh = createRefreshTokens({ secrets: [randomBytes(32)], issuer, ttlSeconds: 3600 });

    expect(await statusWith(refresh.issue({ subject: 'alice', service, provider: 'static', now: Date.now() })!)).toBe(401);
  });
});
