import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateKeyAndCertificate } from './key-generation.js';
import { MIN_REFRESH_SECRET_BYTES } from './refresh-token.js';

export interface KeyPairFiles {
  readonly created: boolean;
  readonly keyPath: string;
  /** Absent when the config names no certificate for the key. */
  readonly certPath?: string;
}

/**
 * Development convenience (`generate_missing`): a P-256 key (and its self-signed certificate,
 * when a certificate path is configured), made once at startup if neither exists. A key without
 * its certificate (or the reverse) is an error rather than overwritten: a key is never replaced
 * behind the operator's back. Files are created exclusively (`wx`), so a concurrent start fails
 * instead of mixing two keys.
 */
export async function ensureKeyPair(keyPath: string, certPath: string | undefined, commonName: string): Promise<KeyPairFiles> {
  const [hasKey, hasCert] = await Promise.all([exists(keyPath), certPath === undefined ? false : exists(certPath)]);
  const complete = certPath === undefined ? hasKey : hasKey && hasCert;
  if (complete) return { created: false, keyPath, certPath };
  if (hasKey || hasCert) {
    const [missing, present] = hasKey ? [certPath, keyPath] : [keyPath, certPath];
    throw new Error(`${missing} is missing but ${present} exists; restore the missing file or remove both to generate a new pair`);
  }
  const { keyPem, certPem } = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName, days: 365 });
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
  await writeFile(keyPath, keyPem, { mode: 0o600, flag: 'wx' });
  if (certPath !== undefined) {
    await mkdir(dirname(certPath), { recursive: true, mode: 0o700 });
    await writeFile(certPath, certPem, { mode: 0o644, flag: 'wx' });
  }
  return { created: true, keyPath, certPath };
}

/**
 * The refresh-token HMAC secret in `path`, created (32 random bytes, base64, mode 0600) when the
 * file does not exist. Startup only.
 */
export async function ensureRefreshSecret(path: string): Promise<Buffer> {
  try {
    return parseRefreshSecret(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(MIN_REFRESH_SECRET_BYTES);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${secret.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/**
 * A secret file holds base64 (`openssl rand -base64 32`). Anything else, or fewer than 32 bytes,
 * is refused: a short or typed-in secret would make refresh tokens forgeable by brute force.
 */
export function parseRefreshSecret(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const valid = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0;
  const secret = valid ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (secret.length < MIN_REFRESH_SECRET_BYTES) {
    throw new Error(
      `${source} must hold at least ${MIN_REFRESH_SECRET_BYTES} random bytes as base64 ` + `(e.g. openssl rand -base64 ${MIN_REFRESH_SECRET_BYTES})`,
    );
  }
  return secret;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
