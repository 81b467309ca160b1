import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { KeyIssueCode } from './key-load-error.js';

export type PrivateKeyParse = { readonly ok: true; readonly key: KeyObject } | { readonly ok: false; readonly code: KeyIssueCode; readonly message: string };

/**
 * A PEM private key in any of the forms operators have: PKCS#1 (`RSA PRIVATE KEY`), PKCS#8
 * (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`, with or without an `EC PARAMETERS` block). Messages
 * are our own: the file's content never reaches an error or a log.
 */
export function parsePrivateKeyPem(pem: string): PrivateKeyParse {
  // Checked before parsing so OpenSSL never tries to ask for a passphrase.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(pem)) {
    return {
      ok: false,
      code: 'encrypted_key',
      message: 'the private key is encrypted; store it unencrypted with restrictive file permissions (0600)',
    };
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    return { ok: false, code: 'not_a_private_key', message: describeWrongContent(pem) };
  }
  try {
    return { ok: true, key: createPrivateKey({ key: pem, format: 'pem' }) };
  } catch {
    return { ok: false, code: 'not_a_private_key', message: 'the PEM private key cannot be parsed' };
  }
}

function describeWrongContent(pem: string): string {
  if (pem.includes('-----BEGIN CERTIFICATE-----')) return 'the file holds a certificate, not a private key';
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) return 'the file holds a public key, not a private key';
  const other = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem);
  if (other) return `the file holds a PEM "${other[1]}" block, not a private key (PKCS#1, PKCS#8 or SEC1 EC expected)`;
  return 'no PEM private key found (PKCS#1, PKCS#8 or SEC1 EC expected)';
}
