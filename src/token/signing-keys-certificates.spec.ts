import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadKeySet } from './signing-keys.js';
import { file, issuesOf, options, text, useKeyFiles } from './signing-keys.fixture.js';

const DAY_MS = 86_400_000;

useKeyFiles();

describe(loadKeySet.name, () => {
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

      expect(issue.code).toBe('certificate_key_mismatch');
    });

    it('refuses a certificate file without a certificate', async () => {
      const [issue] = await issuesOf(options([{ key: 'ec256.pkcs8.pem', certificate: 'ec256.pkcs8.pem' }]));

      expect(issue).toMatchObject({ path: 'token.keys[0].certificate', code: 'not_a_certificate' });
    });

    it('refuses x5c when the signing key has no certificate', async () => {
      const issues = await issuesOf(options([{ key: 'ec256.pkcs8.pem' }, { key: 'rsa2048.pkcs1.pem', certificate: 'rsa2048.cert.pem' }], { x5c: true }));

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
        expect.objectContaining({ kty: 'RSA', kid: sut.all[0].kid, alg: 'RS256', use: 'sig' }),
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
