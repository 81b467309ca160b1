import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyAndCertificate } from './key-generation.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'regauth-keygen-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeCert(name: string, pem: string): string {
  const file = join(dir, name);
  writeFileSync(file, pem);
  return file;
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

describe(generateKeyAndCertificate.name, () => {
  it('makes an EC P-256 certificate that openssl verifies as its own root', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', commonName: 'token signer', days: 30 });
    const file = writeCert('ec256.pem', certPem);

    expect(openssl(['verify', '-CAfile', file, file])).toBe(`${file}: OK\n`);
  });

  it('makes an RSA certificate that openssl verifies as its own root', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'rsa', bits: 2048, commonName: 'token signer', days: 30 });
    const file = writeCert('rsa.pem', certPem);

    expect(openssl(['verify', '-CAfile', file, file])).toBe(`${file}: OK\n`);
  });

  it('puts an EC P-256 key and an ecdsa-with-SHA256 signature in the certificate', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName: 'signer', days: 30 });

    const text = openssl(['x509', '-noout', '-text', '-in', writeCert('ec-text.pem', certPem)]);

    expect(text).toContain('Public Key Algorithm: id-ecPublicKey');
    expect(text).toContain('NIST CURVE: P-256');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  it('puts an EC P-384 key in the certificate when asked for that curve', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', curve: 'P-384', commonName: 'signer', days: 30 });

    const text = openssl(['x509', '-noout', '-text', '-in', writeCert('ec384-text.pem', certPem)]);

    expect(text).toContain('NIST CURVE: P-384');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA384');
  });

  it('puts an RSA key of the requested size and a sha256WithRSAEncryption signature in the certificate', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'rsa', bits: 3072, commonName: 'signer', days: 30 });

    const text = openssl(['x509', '-noout', '-text', '-in', writeCert('rsa-text.pem', certPem)]);

    expect(text).toContain('Public Key Algorithm: rsaEncryption');
    expect(text).toContain('Public-Key: (3072 bit)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  it('marks the certificate as a CA allowed to sign, so verifiers accept it as a root', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', commonName: 'signer', days: 30 });

    const text = openssl(['x509', '-noout', '-text', '-in', writeCert('ca-text.pem', certPem)]);

    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign/);
  });

  it('names the certificate subject and issuer with the common name, kept whole even with a comma', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', commonName: 'Auth, Service', days: 30 });
    const cert = new X509Certificate(certPem);

    // Node prints the comma escaped when it is part of the CN value rather than an RDN separator.
    expect(cert.subject).toBe('CN=Auth\\, Service');
    expect(cert.issuer).toBe(cert.subject);
  });

  it('returns a PKCS#8 private key that belongs to the certificate', async () => {
    const { keyPem, certPem } = await generateKeyAndCertificate({ type: 'ec', commonName: 'signer', days: 30 });

    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  });

  it('makes the certificate valid from before now until the requested number of days', async () => {
    const before = Date.now();
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', commonName: 'signer', days: 10 });
    const cert = new X509Certificate(certPem);

    expect(Date.parse(cert.validFrom)).toBeLessThan(before);
    expect(Date.parse(cert.validTo)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 10 * 86_400_000);
    expect(Date.parse(cert.validTo)).toBeLessThan(before + 10 * 86_400_000 + 60_000);
  });

  it('gives each certificate a positive serial number that does not start with a zero byte', async () => {
    const { certPem } = await generateKeyAndCertificate({ type: 'ec', commonName: 'signer', days: 30 });

    expect(new X509Certificate(certPem).serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('refuses an RSA size below 2048 bits', async () => {
    await expect(generateKeyAndCertificate({ type: 'rsa', bits: 1024 as 2048, commonName: 'signer', days: 30 })).rejects.toThrow(RangeError);
  });

  it('refuses a validity of less than one day', async () => {
    await expect(generateKeyAndCertificate({ type: 'ec', commonName: 'signer', days: 0 })).rejects.toThrow(RangeError);
  });
});
