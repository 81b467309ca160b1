import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Signing keys made by the real `openssl`, independent of the project's own key generation,
 * so e2e tests also prove we load keys produced the way operators produce them.
 */

export type KeyKind = 'rsa' | 'ec';

export interface KeyPairFiles {
  readonly keyPath: string;
  readonly certPath: string;
}

const NEW_KEY: Readonly<Record<KeyKind, readonly string[]>> = {
  rsa: ['-newkey', 'rsa:2048'],
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

/** A private key (PKCS#8 PEM) and a self-signed certificate for it, valid for two days. */
export function opensslKeyPair(dir: string, kind: KeyKind, basename = `${kind}-token`): KeyPairFiles {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, `${basename}.key.pem`);
  const certPath = join(dir, `${basename}.cert.pem`);
  const r = spawnSync('openssl', ['req', '-x509', ...NEW_KEY[kind], '-nodes', '-days', '2', '-subj', '/CN=regauth-e2e', '-keyout', keyPath, '-out', certPath], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error) throw new Error(`could not run openssl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl req failed (exit ${r.status}): ${r.stderr}`);
  return { keyPath, certPath };
}
