import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { createJwtSigner } from './jwt-signer.js';
import type { JwsAlgorithm, SigningKey } from './token.types.js';

const claims = {
  iss: 'Auth Service',
  sub: 'alice',
  aud: 'registry',
  exp: Math.floor(Date.now() / 1000) + 300,
  nbf: Math.floor(Date.now() / 1000) - 10,
  iat: Math.floor(Date.now() / 1000),
  jti: 'jti-1',
  access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
};

function signingKey(alg: JwsAlgorithm, privateKey: KeyObject, extra: Partial<SigningKey> = {}): SigningKey {
  return { alg, kid: `kid-${alg}`, privateKey, publicKey: createPublicKey(privateKey), ...extra };
}

function ecKey(namedCurve: string): KeyObject {
  return generateKeyPairSync('ec', { namedCurve }).privateKey;
}

/** A key with a self-signed certificate made by openssl, the way an operator would. */
function keyWithCertificate(): SigningKey {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-signer-'));
  try {
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    const certPem = execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-subj', '/CN=signer', '-days', '2'], {
      encoding: 'utf8',
    });
    const certificate = new X509Certificate(certPem);
    return signingKey('ES256', createPrivateKey(readFileSync(keyFile)), {
      certificate,
      x5c: [certificate.raw.toString('base64')],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function segments(token: string): string[] {
  return token.split('.');
}

describe(createJwtSigner.name, () => {
  const es256 = signingKey('ES256', ecKey('P-256'));
  const rs256 = signingKey('RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);

  it('signs an ES256 token that jose verifies with the public key', async () => {
    const sut = createJwtSigner(es256, { x5c: false });

    const { payload } = await jwtVerify(await sut.sign(claims), es256.publicKey, {
      issuer: 'Auth Service',
      audience: 'registry',
      algorithms: ['ES256'],
    });

    expect(payload).toEqual(claims);
  });

  it('signs an RS256 token that jose verifies with the public key', async () => {
    const sut = createJwtSigner(rs256, { x5c: false });

    const { protectedHeader } = await compactVerify(await sut.sign(claims), rs256.publicKey, { algorithms: ['RS256'] });

    expect(protectedHeader.alg).toBe('RS256');
  });

  it.each([
    ['ES256', 'P-256', 64],
    ['ES384', 'P-384', 96],
    ['ES512', 'P-521', 132],
  ] as const)('writes %s signatures as raw r||s of %s width, not DER', async (alg, curve, length) => {
    const key = signingKey(alg, ecKey(curve));
    const token = await createJwtSigner(key, { x5c: false }).sign(claims);

    expect(Buffer.from(segments(token)[2], 'base64url')).toHaveLength(length);
    await expect(compactVerify(token, key.publicKey, { algorithms: [alg] })).resolves.toBeDefined();
  });

  it('produces three base64url segments without padding', async () => {
    const token = await createJwtSigner(rs256, { x5c: false }).sign({ ...claims, sub: 'padding?' });

    expect(segments(token)).toHaveLength(3);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('writes a header of typ, alg and kid only when x5c is off', async () => {
    const token = await createJwtSigner(es256, { x5c: false }).sign(claims);

    expect(decodeProtectedHeader(token)).toEqual({ typ: 'JWT', alg: 'ES256', kid: 'kid-ES256' });
  });

  it('adds the certificate chain as standard base64 DER when x5c is on, and never a jwk', async () => {
    const key = keyWithCertificate();

    const header = decodeProtectedHeader(await createJwtSigner(key, { x5c: true }).sign(claims));

    expect(header).toEqual({ typ: 'JWT', alg: 'ES256', kid: 'kid-ES256', x5c: key.x5c });
    expect(new X509Certificate(Buffer.from(header.x5c![0], 'base64')).publicKey.equals(key.publicKey)).toBe(true);
  });

  it('keeps the same header segment for every token it signs', async () => {
    const sut = createJwtSigner(es256, { x5c: false });

    const first = await sut.sign(claims);
    const second = await sut.sign({ ...claims, sub: 'bob' });

    expect(segments(first)[0]).toBe(segments(second)[0]);
    expect(segments(first)[1]).not.toBe(segments(second)[1]);
  });

  it('refuses x5c for a key without a certificate', () => {
    expect(() => createJwtSigner(es256, { x5c: true })).toThrow(/no certificate/);
  });

  it('refuses an algorithm that does not fit the key', () => {
    const mismatched = signingKey('ES256', ecKey('P-384'));

    expect(() => createJwtSigner(mismatched, { x5c: false })).toThrow(/cannot sign ES256/);
  });
});
