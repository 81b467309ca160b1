import { distributionThumbprint, libtrustKeyId } from './key-id.js';
import { KeyLoadError } from './key-load-error.js';
import { loadKeySet } from './signing-keys.js';
import { issuesOf, options, publicKeyOf, useKeyFiles } from './signing-keys.fixture.js';

useKeyFiles();

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
      expect(await issuesOf(options([{ key: 'rsa1024.pem' }]))).toEqual([expect.objectContaining({ path: 'token.keys[0].key', code: 'rsa_key_too_small' })]);
    });

    it('refuses an Ed25519 key and says registry 2.8 cannot verify it', async () => {
      const [issue] = await issuesOf(options([{ key: 'ed25519.pem' }]));

      expect(issue).toMatchObject({ code: 'unsupported_key_type', message: expect.stringMatching(/registry 2\.8/) });
    });

    it('refuses an EC curve that registries do not verify', async () => {
      const [issue] = await issuesOf(options([{ key: 'k256.pem' }]));

      expect(issue.code).toBe('unsupported_curve');
    });

    it('refuses an encrypted private key', async () => {
      const [issue] = await issuesOf(options([{ key: 'encrypted.pem' }]));

      expect(issue.code).toBe('encrypted_key');
    });

    it('says so when the key file holds a certificate', async () => {
      const [issue] = await issuesOf(options([{ key: 'ec256.cert.pem' }]));

      expect(issue).toMatchObject({ code: 'not_a_private_key', message: expect.stringMatching(/holds a certificate/) });
    });

    it('reports a missing key file with its config path', async () => {
      expect(await issuesOf(options([{ key: 'absent.pem' }]))).toEqual([expect.objectContaining({ path: 'token.keys[0].key', code: 'file_unreadable' })]);
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
});
