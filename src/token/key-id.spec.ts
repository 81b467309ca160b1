import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { distributionThumbprint, keyIdFor, libtrustKeyId } from './key-id.js';

/** The EC P-256 key printed in distribution's jwt.md, with the values docs/protocol.md §1.3 verified. */
const specKey = createPublicKey({
  key: {
    kty: 'EC',
    crv: 'P-256',
    x: 'm7zUpx3b-zmVE5cymSs64POG9QcyEpJaYCD82-549_Q',
    y: 'dU3biz8sZ_8GPB-odm8Wxz3lNDr1xcAQQPQaOcr1fmc',
  },
  format: 'jwk',
});
const specKeyLibtrustId = 'PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6';
const specKeyThumbprint = '8qjioA3ZA7ti2JIE7c-U8smBFuZolQZvhSHDPU3hhB8';

function run(command: string, args: string[], input?: Buffer | string): Buffer {
  return execFileSync(command, args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The libtrust id computed only by external tools: openssl for SPKI and SHA-256, coreutils base32. */
function libtrustIdByTools(privateKeyPem: string): string {
  const spki = run('openssl', ['pkey', '-pubout', '-outform', 'DER'], privateKeyPem);
  const digest = run('openssl', ['dgst', '-sha256', '-binary'], spki);
  const encoded = run('base32', ['-w', '0'], digest.subarray(0, 30)).toString('ascii').trim();
  return encoded.match(/.{4}/g)!.join(':');
}

function ecKeyWithLeadingZeroX(): KeyObject {
  for (;;) {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    if (x[0] === 0) return publicKey;
  }
}

function stripLeadingZeros(base64url: string): string {
  const bytes = Buffer.from(base64url, 'base64url');
  let i = 0;
  while (bytes[i] === 0) i++;
  return bytes.subarray(i).toString('base64url');
}

describe(libtrustKeyId.name, () => {
  it('gives the kid printed in the distribution spec for its example key', () => {
    expect(libtrustKeyId(specKey)).toBe(specKeyLibtrustId);
  });

  it('matches openssl and base32 for a fresh RSA key', () => {
    const pem = run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']).toString();

    expect(libtrustKeyId(createPublicKey(pem))).toBe(libtrustIdByTools(pem));
  });

  it('matches openssl and base32 for a fresh EC P-384 key', () => {
    const pem = run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']).toString();

    expect(libtrustKeyId(createPublicKey(pem))).toBe(libtrustIdByTools(pem));
  });

  it('gives the same id for a private key as for its public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    expect(libtrustKeyId(privateKey)).toBe(libtrustKeyId(publicKey));
  });

  it('is 12 groups of 4 upper-case base32 characters', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    expect(libtrustKeyId(publicKey)).toMatch(/^[A-Z2-7]{4}(:[A-Z2-7]{4}){11}$/);
  });
});

describe(distributionThumbprint.name, () => {
  it('gives the RFC 7638 thumbprint of the spec key, whose coordinates have no leading zero', () => {
    expect(distributionThumbprint(specKey)).toBe(specKeyThumbprint);
  });

  it('equals the RFC 7638 thumbprint for an RSA key', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    expect(distributionThumbprint(publicKey)).toBe(await calculateJwkThumbprint(await exportJWK(publicKey)));
  });

  it('hashes an EC x coordinate with a leading zero byte stripped, unlike RFC 7638', async () => {
    const key = ecKeyWithLeadingZeroX();
    const jwk = key.export({ format: 'jwk' });
    const goStyleMembers = `{"crv":"P-256","kty":"EC","x":"${stripLeadingZeros(jwk.x!)}","y":"${stripLeadingZeros(jwk.y!)}"}`;
    const expected = createHash('sha256').update(goStyleMembers).digest('base64url');

    const thumbprint = distributionThumbprint(key);

    expect(thumbprint).toBe(expected);
    expect(thumbprint).not.toBe(await calculateJwkThumbprint(await exportJWK(key)));
  });

  it('gives the same thumbprint for a private key as for its public key', () => {
    const pem = run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']).toString();

    expect(distributionThumbprint(createPrivateKey(pem))).toBe(distributionThumbprint(createPublicKey(pem)));
  });

  it('refuses a key type distribution 3.x cannot use with this kid', () => {
    const { publicKey } = generateKeyPairSync('ed448');

    expect(() => distributionThumbprint(publicKey)).toThrow(TypeError);
  });
});

describe(keyIdFor.name, () => {
  it('gives the libtrust id for the libtrust format', () => {
    expect(keyIdFor(specKey, 'libtrust')).toBe(specKeyLibtrustId);
  });

  it('gives the distribution thumbprint for the jwk-thumbprint format', () => {
    expect(keyIdFor(specKey, 'jwk-thumbprint')).toBe(specKeyThumbprint);
  });
});
