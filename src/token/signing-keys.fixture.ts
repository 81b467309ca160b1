import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyLoadError, type KeyIssue } from './key-load-error.js';
import { loadKeySet } from './signing-keys.js';
import type { KeySetOptions, TokenKeyConfig } from './token.types.js';

/** Key files for the signing-keys specs, in a temporary folder, and helpers to load them. */

let dir: string;

export function file(name: string): string {
  return join(dir, name);
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSigned(keyName: string, certName: string, days = 365): void {
  openssl('req', '-x509', '-key', keyName, '-subj', `/CN=${certName}`, '-days', String(days), '-out', certName);
}

export function text(name: string): string {
  return readFileSync(file(name), 'utf8');
}

export function publicKeyOf(keyName: string): KeyObject {
  return createPublicKey(readFileSync(file(keyName)));
}

/** Key files as operators bring them, made by openssl once for the calling spec file. */
export function useKeyFiles(): void {
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
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-aes256', '-pass', 'pass:x', '-out', 'encrypted.pem');
    // A leaf signed by a CA, with the chain file in the usual order: leaf, then CA.
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key.pem');
    selfSigned('ca.key.pem', 'ca.cert.pem');
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'leaf.key.pem');
    openssl('req', '-new', '-key', 'leaf.key.pem', '-subj', '/CN=leaf', '-out', 'leaf.csr');
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.cert.pem', '-CAkey', 'ca.key.pem', '-days', '365', '-out', 'leaf.cert.pem');
    writeFileSync(file('leaf.chain.pem'), text('leaf.cert.pem') + text('ca.cert.pem'));
    writeFileSync(file('corrupt.pem'), `-----BEGIN PRIVATE KEY-----\n${'SECRET'.repeat(10)}\n-----END PRIVATE KEY-----\n`);
    writeFileSync(file('ec-leading-zero.pem'), ecKeyWithLeadingZeroXPem());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
}

function ecKeyWithLeadingZeroXPem(): string {
  for (;;) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    if (Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')[0] === 0) {
      return String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
  }
}

/** Options with file names resolved in the fixture folder. */
export function options(keys: TokenKeyConfig[], extra: Partial<KeySetOptions> = {}): KeySetOptions {
  const resolved = keys.map((k) => ({ ...k, key: file(k.key), ...(k.certificate && { certificate: file(k.certificate) }) }));
  return { keys: resolved, kidFormat: 'libtrust', x5c: false, ...extra };
}

export async function issuesOf(opts: KeySetOptions): Promise<KeyIssue[]> {
  const error = await loadKeySet(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyLoadError);
  return [...(error as KeyLoadError).issues];
}
