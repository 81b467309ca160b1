import { generateKeyPairSync } from 'node:crypto';
import { hashFor, signingAlgorithmFor } from './key-algorithm.js';

describe(signingAlgorithmFor.name, () => {
  it.each([
    ['P-256', 'ES256'],
    ['P-384', 'ES384'],
    ['P-521', 'ES512'],
  ])('takes the one algorithm registries pair with EC %s: %s', (namedCurve, alg) => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve });

    expect(signingAlgorithmFor(publicKey)).toEqual({ ok: true, alg });
  });

  it('takes RS256 for an RSA key of 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    expect(signingAlgorithmFor(publicKey)).toEqual({ ok: true, alg: 'RS256' });
  });

  it('refuses an RSA key of 2047 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2047 });

    expect(signingAlgorithmFor(publicKey)).toMatchObject({ ok: false, code: 'rsa_key_too_small' });
  });

  it('refuses an RSA-PSS key, because registry 2.8 rejects PS256', () => {
    const { publicKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });

    expect(signingAlgorithmFor(publicKey)).toMatchObject({
      ok: false,
      code: 'unsupported_key_type',
      message: expect.stringContaining('PS256'),
    });
  });

  it('refuses an Ed25519 key and names what to use instead', () => {
    const { publicKey } = generateKeyPairSync('ed25519');

    expect(signingAlgorithmFor(publicKey)).toMatchObject({
      ok: false,
      code: 'unsupported_key_type',
      message: expect.stringContaining('use EC P-256 (ES256) or RSA >= 2048 bits (RS256)'),
    });
  });

  it('refuses the secp256k1 curve', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });

    expect(signingAlgorithmFor(publicKey)).toMatchObject({ ok: false, code: 'unsupported_curve' });
  });

  it('refuses a DSA key', () => {
    const { publicKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });

    expect(signingAlgorithmFor(publicKey)).toMatchObject({ ok: false, code: 'unsupported_key_type' });
  });
});

describe(hashFor.name, () => {
  it.each([
    ['RS256', 'sha256'],
    ['ES256', 'sha256'],
    ['ES384', 'sha384'],
    ['ES512', 'sha512'],
  ] as const)('hashes %s with %s', (alg, hash) => {
    expect(hashFor(alg)).toBe(hash);
  });
});
