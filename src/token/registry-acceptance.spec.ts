import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAccessClaims, newJti } from './claims.js';
import { createJwtSigner } from './jwt-signer.js';
import { generateKeyAndCertificate } from './key-generation.js';
import { keyIdFor } from './key-id.js';
import { createRefreshTokens } from './refresh-token.js';
import { loadKeySet } from './signing-keys.js';
import type { AccessEntry, KeySet } from './token.types.js';

/**
 * What a real registry 2.8 (Debian's docker-registry) accepts from this module: generated
 * certificates as rootcertbundle, libtrust kid, x5c, both algorithms. Skipped where the binary is
 * not installed, except in CI, where a missing binary must fail.
 */
const registryInstalled = spawnSync('docker-registry', ['--version']).status === 0;
const describeWithRegistry = registryInstalled || process.env['CI'] === 'true' ? describe : describe.skip;
const issuer = 'Auth Service';
const service = 'registry test';
const pullApp: AccessEntry[] = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];

let dir: string;
let registry: ChildProcess | undefined;
let baseUrl: string;
let trusted: KeySet;
let untrusted: KeySet;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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

async function waitUntilListening(): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await fetch(`${baseUrl}/v2/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('registry did not start');
}

function claimsFor(access: AccessEntry[]) {
  const now = Date.now();
  return buildAccessClaims({ issuer, subject: 'alice', audience: service, access, now, ttlSeconds: 300, jti: newJti() });
}

function token(keySet: KeySet, opts: { x5c: boolean; keyIndex?: number; access?: AccessEntry[] }): string {
  return createJwtSigner(keySet.all[opts.keyIndex ?? 0]!, { x5c: opts.x5c }).sign(claimsFor(opts.access ?? []));
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
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'config.yml'),
      JSON.stringify({
        version: 0.1,
        log: { level: 'error' },
        storage: { inmemory: {} },
        http: { addr: `127.0.0.1:${port}` },
        auth: { token: { realm: 'http://127.0.0.1/auth', service, issuer, rootcertbundle: join(dir, 'bundle.pem') } },
      }),
    );
    registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    await waitUntilListening();
  });

  afterAll(() => {
    registry?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts an ES256 token identified by its libtrust kid', async () => {
    expect(await statusWith(token(trusted, { x5c: false }))).toBe(200);
  });

  it('accepts an ES256 token identified by x5c', async () => {
    expect(await statusWith(token(trusted, { x5c: true }))).toBe(200);
  });

  it('accepts an x5c token whatever its kid, since x5c is checked first', async () => {
    const signer = createJwtSigner({ ...trusted.signer, kid: 'not-a-known-kid' }, { x5c: true });

    expect(await statusWith(signer.sign(claimsFor([])))).toBe(200);
  });

  it('accepts an RS256 token of a second published key', async () => {
    expect(await statusWith(token(trusted, { x5c: false, keyIndex: 1 }))).toBe(200);
  });

  it('lets the granted access through to a repository', async () => {
    const status = await statusWith(token(trusted, { x5c: true, access: pullApp }), '/v2/team/app/tags/list');

    expect(status).toBe(404);
  });

  it('refuses a repository request the token grants nothing for', async () => {
    expect(await statusWith(token(trusted, { x5c: true }), '/v2/team/app/tags/list')).toBe(401);
  });

  it('refuses a distribution-thumbprint kid, which registry 2.8 does not know', async () => {
    const key = trusted.signer;
    const signer = createJwtSigner({ ...key, kid: keyIdFor(key.publicKey, 'jwk-thumbprint') }, { x5c: false });

    expect(await statusWith(signer.sign(claimsFor([])))).toBe(401);
  });

  it('refuses a key whose certificate is not in the bundle, even with its own x5c', async () => {
    expect(await statusWith(token(untrusted, { x5c: true }))).toBe(401);
  });

  it('refuses a refresh token presented as a bearer token', async () => {
    const refresh = createRefreshTokens({ secrets: [randomBytes(32)], issuer, ttlSeconds: 3600 });

    expect(await statusWith(refresh.issue({ subject: 'alice', service, provider: 'static', now: Date.now() }))).toBe(401);
  });
});
