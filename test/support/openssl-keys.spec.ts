import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslKeyPair } from './openssl-keys.js';
import { requireBinaries } from './require-binary.js';

const { describeIf } = requireBinaries(['openssl']);

describeIf('opensslKeyPair', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'regauth-openssl-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = (kind: 'rsa' | 'ec') => {
    const files = opensslKeyPair(dir, kind);
    return { key: createPrivateKey(readFileSync(files.keyPath)), cert: new X509Certificate(readFileSync(files.certPath)) };
  };

  it('makes an RSA 2048 key whose self-signed certificate carries its public key', () => {
    const sut = load('rsa');
    expect(sut.key.asymmetricKeyType).toBe('rsa');
    expect(sut.key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(sut.cert.checkPrivateKey(sut.key)).toBe(true);
    expect(sut.cert.verify(sut.cert.publicKey)).toBe(true);
  });

  it('makes an EC P-256 key whose self-signed certificate carries its public key', () => {
    const sut = load('ec');
    expect(sut.key.asymmetricKeyType).toBe('ec');
    expect(sut.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(sut.cert.checkPrivateKey(sut.key)).toBe(true);
  });

  it('names openssl and its message when it fails', () => {
    expect(() => opensslKeyPair(join(dir, 'x'), 'ec', 'bad/name/with/missing/dirs')).toThrow(/openssl req failed/);
  });
});
