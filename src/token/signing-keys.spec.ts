import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distributionThumbprint, libtrustKeyId } from './key-id.js';
import { KeyLoadError, type KeyIssue } from './key-load-error.js';
import { loadKeySet } from './signing-keys.js';
import type { KeySetOptions, TokenKeyConfig } from './token.types.js';

const DAY_MS = 86_400_000;
let dir: string;

function file(name: string): string {
  return join(dir, name);
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSigned(keyName: string, certName: string, days = 365): void {
  openssl('req', '-x509', '-key', keyName, '-subj', `/CN=${certName}`, '-days', String(days), '-out', certName);
}

function text(name: string): string {
  return readFileSync(file(name), 'utf8');
}

function publicKeyOf(keyName: string) {
  return createPublicKey(readFileSync(file(keyName)));
}

/** Key files as operators bring them, made by openssl, once for the whole suite. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'regauth-keys-'));
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec256.pkcs8.pem');
  selfSigned('ec256.pkcs8.pem', 'ec256.cert.pem');
  openssl('ecparam', '-name', 'secp384r1', '-genkey', '-out', 'ec384.sec1.pem');
  openssl('ecparam', '-name', 'secp521r1', '-genkey', '-noout', '-out', 'ec521.sec1.pem');
  openssl('genrsa', '-traditional', '-out', 'rsa2048.pkcs1.pem', '2048');
  selfSigned('rsa2048.pkcs1.pem', 'rsa2048.cert.pem');
  openssl('genrsa', '-out', 'rsa1024.pem', '1024');
  openssl('genpkey', '-algorithm', 'ED25519', '-out', 'ed25519.pem');
  openssl('ecparam', '-name', 'secp256k1', '-genkey', '-noout', '-out', 'k256.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-aes256', '-pass', 'pass:x', '-out', 'encrypted.pem');
  // A leaf signed by a CA, with the chain file in the usual order: leaf, then CA.
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key.pem');
  selfSigned('ca.key.pem', 'ca.cert.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'leaf.key.pem');
  openssl('req', '-new', '-key', 'leaf.key.pem', '-subj', '/CN=leaf', '-out', 'leaf.csr');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.cert.pem', '-CAkey', 'ca.key.pem', '-days', '365',
    '-out', 'leaf.cert.pem');
  writeFileSync(file('leaf.chain.pem'), text('leaf.cert.pem') + text('ca.cert.pem'));
  writeFileSync(file('corrupt.pem'), `-----BEGIN PRIVATE KEY-----\n${'SECRET'.repeat(10)}\n-----END PRIVATE KEY-----\n`);
  writeFileSync(file('ec-leading-zero.pem'), ecKeyWithLeadingZeroXPem());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ecKeyWithLeadingZeroXPem(): string {
  for (;;) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    if (Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')[0] === 0) {
      return String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
  }
}

/** Options with file names resolved in the fixture folder. */
function options(keys: TokenKeyConfig[], extra: Partial<KeySetOptions> = {}): KeySetOptions {
  const resolved = keys.map((k) => ({ ...k, key: file(k.key), ...(k.certificate && { certificate: file(k.certificate) }) }));
  return { keys: resolved, kidFormat: 'libtrust', x5c: false, ...extra };
}

async function issuesOf(opts: KeySetOptions): Promise<KeyIssue[]> {
  const error = await loadKeySet(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyLoadError);
  return [...(error as KeyLoadError).issues];
}

describe(loadKeySet.name, () => {
  describe('key formats and algorithms', () => {
    it.each([
      ['a PKCS#8 EC P-256 key', 'ec256.pkcs8.pem', 'ES256'],
      ['a SEC1 EC P-384 key with an EC PARAMETERS block', 'ec384.sec1.pem', 'ES384'],
      ['a SEC1 EC P-521 key', 'ec521.sec1.pem', 'ES512'],
      ['a PKCS#1 RSA 2048 key', 'rsa2048.pkcs1.pem', 'RS256'],
    ])('loads %s and signs with %s', async (_, key, alg) => {
      const sut = await loadKeySet(options([{ key }]));

      expect(sut.signer.alg).toBe(alg);
    });

    it('refuses an RSA key under 2048 bits', async () => {
      expect(await issuesOf(options([{ key: 'rsa1024.pem' }]))).toEqual([
        expect.objectContaining({ path: 'token.keys[0].key', code: 'rsa_key_too_small' }),
      ]);
    });

    it('refuses an Ed25519 key and says registry 2.8 cannot verify it', async () => {
      const [issue] = await issuesOf(options([{ key: 'ed25519.pem' }]));

      expect(issue).toMatchObject({ code: 'unsupported_key_type', message: expect.stringMatching(/registry 2\.8/) });
    });

    it('refuses an EC curve that registries do not verify', async () => {
      const [issue] = await issuesOf(options([{ key: 'k256.pem' }]));

      expect(issue!.code).toBe('unsupported_curve');
    });

    it('refuses an encrypted private key', async () => {
      const [issue] = await issuesOf(options([{ key: 'encrypted.pem' }]));

      expect(issue!.code).toBe('encrypted_key');
    });

    it('says so when the key file holds a certificate', async () => {
      const [issue] = await issuesOf(options([{ key: 'ec256.cert.pem' }]));

      expect(issue).toMatchObject({ code: 'not_a_private_key', message: expect.stringMatching(/holds a certificate/) });
    });

    it('reports a missing key file with its config path', async () => {
      expect(await issuesOf(options([{ key: 'absent.pem' }]))).toEqual([
        expect.objectContaining({ path: 'token.keys[0].key', code: 'file_unreadable' }),
      ]);
    });

    it('never puts the content of an unparsable key file into the error', async () => {
      const error = await loadKeySet(options([{ key: 'corrupt.pem' }])).catch((e: Error) => e);

      expect(String((error as Error).message)).not.toContain('SECRETSECRET');
      expect(JSON.stringify((error as KeyLoadError).issues)).not.toContain('SECRETSECRET');
    });
  });

  describe('kid', () => {
    it('uses the libtrust fingerprint for the libtrust format', async () => {
      const sut = await loadKeySet(options([{ key: 'ec256.pkcs8.pem' }]));

      expect(sut.signer.kid).toBe(libtrustKeyId(publicKeyOf('ec256.pkcs8.pem')));
    });

    it('uses the distribution thumbprint for the jwk-thumbprint format', async () => {
      const sut = await loadKeySet(options([{ key: 'ec-leading-zero.pem' }], { kidFormat: 'jwk-thumbprint' }));

      expect(sut.signer.kid).toBe(distributionThumbprint(publicKeyOf('ec-leading-zero.pem')));
    });

    it('uses a literal kid when one is configured', async () => {
      const sut = await loadKeySet(options([{ key: 'ec256.pkcs8.pem', kid: 'signer-2026' }]));

      expect(sut.signer.kid).toBe('signer-2026');
    });

    it('refuses two keys with the same kid', async () => {
      const issues = await issuesOf(options([{ key: 'ec256.pkcs8.pem' }, { key: 'ec256.pkcs8.pem' }]));

      expect(issues).toEqual([expect.objectContaining({ path: 'token.keys[1]', code: 'duplicate_kid' })]);
    });
  });

  describe('certificates and x5c', () => {
    it('keeps the whole certificate file as x5c in standard base64, leaf first', async () => {
      const sut = await loadKeySet(options([{ key: 'leaf.key.pem', certificate: 'leaf.chain.pem' }], { x5c: true }));

      expect(sut.signer.x5c).toEqual([
        new X509Certificate(readFileSync(file('leaf.cert.pem'))).raw.toString('base64'),
        new X509Certificate(readFileSync(file('ca.cert.pem'))).raw.toString('base64'),
      ]);
      expect(sut.signer.certificate!.subject).toBe('CN=leaf');
    });

    it('refuses a certificate that is not for the private key', async () => {
      expect(await issuesOf(options([{ key: 'ec256.pkcs8.pem', certificate: 'rsa2048.cert.pem' }]))).toEqual([
        expect.objectContaining({ path: 'token.keys[0].certificate', code: 'certificate_key_mismatch' }),
      ]);
    });

    it('refuses a chain file whose first certificate is not the leaf', async () => {
      writeFileSync(file('ca-first.pem'), text('ca.cert.pem') + text('leaf.cert.pem'));

      const [issue] = await issuesOf(options([{ key: 'leaf.key.pem', certificate: 'ca-first.pem' }]));

      expect(issue!.code).toBe('certificate_key_mismatch');
    });

    it('refuses a certificate file without a certificate', async () => {
      const [issue] = await issuesOf(options([{ key: 'ec256.pkcs8.pem', certificate: 'ec256.pkcs8.pem' }]));

      expect(issue).toMatchObject({ path: 'token.keys[0].certificate', code: 'not_a_certificate' });
    });

    it('refuses x5c when the signing key has no certificate', async () => {
      const issues = await issuesOf(
        options([{ key: 'ec256.pkcs8.pem' }, { key: 'rsa2048.pkcs1.pem', certificate: 'rsa2048.cert.pem' }], { x5c: true }),
      );

      expect(issues).toEqual([expect.objectContaining({ path: 'token.keys[0].certificate', code: 'x5c_needs_certificate' })]);
    });

    it('reports the problems of every key together, under the configured path', async () => {
      const issues = await issuesOf(options([{ key: 'rsa1024.pem' }, { key: 'absent.pem' }], { path: 'auth.keys' }));

      expect(issues.map((i) => i.path)).toEqual(['auth.keys[0].key', 'auth.keys[1].key']);
    });
  });

  describe('certificate dates', () => {
    const keys = [{ key: 'ec256.pkcs8.pem', certificate: 'ec256.cert.pem' }];
    const notAfter = () => Date.parse(new X509Certificate(readFileSync(file('ec256.cert.pem'))).validTo);

    it('gives no warning for a certificate valid for more than 30 days', async () => {
      expect((await loadKeySet(options(keys, { x5c: true }))).warnings).toEqual([]);
    });

    it('warns under the key path, loudly, but still loads when the signing x5c certificate has expired', async () => {
      const sut = await loadKeySet(options(keys, { x5c: true }), notAfter() + DAY_MS);

      expect(sut.warnings).toEqual([expect.stringMatching(/^token\.keys\[0\]\.certificate: certificate EXPIRED/)]);
    });

    it('treats an expired certificate as kid-only for keys that do not sign', async () => {
      const rotated = [{ key: 'rsa2048.pkcs1.pem', certificate: 'rsa2048.cert.pem' }, ...keys];

      const sut = await loadKeySet(options(rotated, { x5c: true }), notAfter() + DAY_MS);

      expect(sut.warnings[1]).toMatch(/^token\.keys\[1\]\.certificate: .*kid-only verification still works/);
    });
  });

  describe('published keys', () => {
    it('signs with the first key and publishes all of them', async () => {
      const sut = await loadKeySet(options([{ key: 'rsa2048.pkcs1.pem' }, { key: 'ec256.pkcs8.pem' }]));

      expect(sut.signer).toBe(sut.all[0]);
      expect(sut.all.map((k) => k.alg)).toEqual(['RS256', 'ES256']);
    });

    it('publishes each key as a public JWK with its kid, alg and use', async () => {
      const sut = await loadKeySet(options([{ key: 'rsa2048.pkcs1.pem' }, { key: 'ec256.pkcs8.pem', kid: 'literal' }]));

      expect(sut.jwks.keys).toEqual([
        expect.objectContaining({ kty: 'RSA', kid: sut.all[0]!.kid, alg: 'RS256', use: 'sig' }),
        expect.objectContaining({ kty: 'EC', crv: 'P-256', kid: 'literal', alg: 'ES256', use: 'sig' }),
      ]);
      expect(sut.jwks.keys.some((k) => 'd' in k || 'p' in k)).toBe(false);
    });

    it('publishes EC coordinates at full width even when they start with a zero byte', async () => {
      const sut = await loadKeySet(options([{ key: 'ec-leading-zero.pem' }]));
      const jwk = sut.jwks.keys[0] as { x: string; y: string };

      expect(Buffer.from(jwk.x, 'base64url')).toHaveLength(32);
      expect(createPublicKey({ key: jwk as never, format: 'jwk' }).equals(sut.signer.publicKey)).toBe(true);
    });

    it('bundles the leaf certificate of each key that has one, in key order', async () => {
      const sut = await loadKeySet(
        options([
          { key: 'leaf.key.pem', certificate: 'leaf.chain.pem' },
          { key: 'ec384.sec1.pem' },
          { key: 'rsa2048.pkcs1.pem', certificate: 'rsa2048.cert.pem' },
        ]),
      );

      expect(sut.bundlePem).toBe(text('leaf.cert.pem') + text('rsa2048.cert.pem'));
    });
  });
});
