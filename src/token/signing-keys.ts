import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { certificateDateWarnings, parseCertificatePem } from './certificates.js';
import { signingAlgorithmFor } from './key-algorithm.js';
import { keyIdFor } from './key-id.js';
import { KeyLoadError, type KeyIssue } from './key-load-error.js';
import { publicJwk } from './jwks.js';
import { parsePrivateKeyPem } from './private-key.js';
import type { KeySet, KeySetOptions, KidFormat, SigningKey, TokenKeyConfig } from './token.types.js';

interface LoadContext {
  readonly kidFormat: KidFormat;
  readonly now: number;
  readonly sentAsX5c: boolean;
}

interface LoadedKey {
  readonly key?: SigningKey;
  readonly issues: KeyIssue[];
  readonly warnings: string[];
}

/**
 * Reads and checks every configured key once, at startup or reload; the result holds everything a
 * request needs (key objects, kid, x5c, JWKS). `now` (ms) is only for certificate date warnings.
 * Throws `KeyLoadError` listing every problem of every key.
 */
export async function loadKeySet(opts: KeySetOptions, now: number = Date.now()): Promise<KeySet> {
  const base = opts.path ?? 'token.keys';
  if (opts.keys.length === 0) {
    throw new KeyLoadError([{ path: base, code: 'no_keys', message: 'at least one signing key is required' }]);
  }
  const loaded = await Promise.all(
    opts.keys.map((config, index) => loadKey(config, `${base}[${index}]`, { kidFormat: opts.kidFormat, now, sentAsX5c: opts.x5c && index === 0 })),
  );
  const issues = loaded.flatMap((l) => l.issues);
  if (opts.x5c && opts.keys[0].certificate === undefined) {
    issues.push({
      path: `${base}[0].certificate`,
      code: 'x5c_needs_certificate',
      message: 'x5c is on but the signing key has no certificate; configure one or turn x5c off',
    });
  }
  issues.push(...duplicateKidIssues(loaded, base));
  if (issues.length > 0) throw new KeyLoadError(issues);

  const all = loaded.map((l) => l.key!);
  return {
    signer: all[0],
    all,
    jwks: { keys: await Promise.all(all.map(publicJwk)) },
    bundlePem: all.flatMap((k) => (k.certificate ? [pemOf(k.certificate)] : [])).join(''),
    warnings: loaded.flatMap((l) => l.warnings),
  };
}

async function loadKey(config: TokenKeyConfig, path: string, context: LoadContext): Promise<LoadedKey> {
  const issues: KeyIssue[] = [];
  const warnings: string[] = [];
  const [keyText, certText] = await Promise.all([
    readText(config.key, `${path}.key`, issues),
    config.certificate === undefined ? undefined : readText(config.certificate, `${path}.certificate`, issues),
  ]);

  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  let alg: SigningKey['alg'] | undefined;
  if (keyText !== undefined) {
    const parsed = parsePrivateKeyPem(keyText);
    if (parsed.ok) {
      privateKey = parsed.key;
      publicKey = createPublicKey(parsed.key);
      const choice = signingAlgorithmFor(publicKey);
      if (choice.ok) alg = choice.alg;
      else issues.push({ path: `${path}.key`, code: choice.code, message: choice.message });
    } else {
      issues.push({ path: `${path}.key`, code: parsed.code, message: parsed.message });
    }
  }

  let certificates: readonly X509Certificate[] | undefined;
  if (certText !== undefined) {
    const parsed = parseCertificatePem(certText);
    if (!parsed.ok) {
      issues.push({ path: `${path}.certificate`, code: 'not_a_certificate', message: parsed.message });
    } else {
      certificates = parsed.certificates;
      if (publicKey && !sameKey(certificates[0].publicKey, publicKey)) {
        issues.push({
          path: `${path}.certificate`,
          code: 'certificate_key_mismatch',
          message: 'the first certificate is not for this private key (the leaf must come first)',
        });
      }
      for (const warning of certificateDateWarnings(certificates, context)) warnings.push(`${path}.certificate: ${warning}`);
    }
  }

  if (issues.length > 0 || !privateKey || !publicKey || !alg) return { issues, warnings };
  const key: SigningKey = {
    alg,
    kid: config.kid ?? keyIdFor(publicKey, context.kidFormat),
    privateKey,
    publicKey,
    ...(certificates && {
      certificate: certificates[0],
      x5c: Object.freeze(certificates.map((c) => c.raw.toString('base64'))),
    }),
  };
  return { key: Object.freeze(key), issues, warnings };
}

async function readText(file: string, path: string, issues: KeyIssue[]): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    issues.push({ path, code: 'file_unreadable', message: `cannot read ${file} (${code})` });
    return undefined;
  }
}

function duplicateKidIssues(loaded: readonly LoadedKey[], base: string): KeyIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: KeyIssue[] = [];
  for (const [index, { key }] of loaded.entries()) {
    if (!key) continue;
    const earlier = firstIndex.get(key.kid);
    if (earlier === undefined) firstIndex.set(key.kid, index);
    else {
      issues.push({
        path: `${base}[${index}]`,
        code: 'duplicate_kid',
        message: `kid "${key.kid}" is also the kid of ${base}[${earlier}]; each key needs its own kid`,
      });
    }
  }
  return issues;
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

function pemOf(certificate: X509Certificate): string {
  const pem = certificate.toString();
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
