import { KeyObject, randomBytes, webcrypto } from 'node:crypto';

type X509 = typeof import('@peculiar/x509');
let x509Module: Promise<X509> | undefined;

/**
 * @peculiar/x509 (12 MiB once loaded) is needed only to make certificates: by `gen-key` and
 * `generate_missing`, never by a server whose keys exist, so it is loaded on first use.
 * It resolves its services through tsyringe, which needs the Reflect metadata API.
 */
function loadX509(): Promise<X509> {
  x509Module ??= import('reflect-metadata').then(async () => {
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  });
  return x509Module;
}

export interface KeyGenerationOptions {
  readonly type: 'rsa' | 'ec';
  readonly bits?: 2048 | 3072 | 4096;
  readonly curve?: 'P-256' | 'P-384' | 'P-521';
  readonly commonName: string;
  readonly days: number;
}

export interface GeneratedKey {
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  /** Self-signed X.509 certificate PEM, fit for a registry `rootcertbundle`. */
  readonly certPem: string;
}

const RSA_BITS = new Set([2048, 3072, 4096]);
const CURVE_HASH = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-384' } as const;
/** Start the validity a little in the past: registries check x5c dates against their own clock. */
const BACKDATE_MS = 60 * 60 * 1000;

/**
 * A signing key and a self-signed certificate for it. The certificate is its own root, so the same
 * file is the registry's `rootcertbundle` and the token's `x5c`: Go's verifier accepts a leaf that
 * is itself in the root pool. It is marked CA with keyCertSign so strict verifiers accept it as a
 * root too.
 */
export async function generateKeyAndCertificate(options: KeyGenerationOptions): Promise<GeneratedKey> {
  const x509 = await loadX509();
  if (!options.commonName) throw new RangeError('commonName must not be empty');
  if (!Number.isInteger(options.days) || options.days < 1) throw new RangeError('days must be a positive integer');
  const { keyAlgorithm, signingAlgorithm } = algorithms(options);
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);

  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [options.commonName] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + options.days * 86_400_000),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' });
  return { keyPem: String(keyPem), certPem: withFinalNewline(certificate.toString('pem')) };
}

interface Algorithms {
  readonly keyAlgorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
  readonly signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

function algorithms(options: KeyGenerationOptions): Algorithms {
  if (options.type === 'rsa') {
    const bits = options.bits ?? 2048;
    if (!RSA_BITS.has(bits)) throw new RangeError(`RSA keys have 2048, 3072 or 4096 bits, not ${bits}`);
    const keyAlgorithm = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: bits,
    };
    return { keyAlgorithm, signingAlgorithm: keyAlgorithm };
  }
  const curve = options.curve ?? 'P-256';
  const hash = CURVE_HASH[curve];
  if (!hash) throw new RangeError(`EC curves are P-256, P-384 or P-521, not ${String(curve)}`);
  return { keyAlgorithm: { name: 'ECDSA', namedCurve: curve }, signingAlgorithm: { name: 'ECDSA', hash } };
}

/**
 * 16 random bytes as a positive DER integer with no leading zero byte: Go rejects negative serial
 * numbers and non-minimal integer encodings when it parses a certificate.
 */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function withFinalNewline(pem: string): string {
  const unix = pem.replace(/\r\n/g, '\n');
  return unix.endsWith('\n') ? unix : `${unix}\n`;
}
