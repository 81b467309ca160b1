import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { compileAcl, type CompiledAcl } from '../acl/index.js';
import { createProvider, providerName } from '../authn/provider-registry.js';
import type { Provider } from '../authn/provider.js';
import {
  createJwtSigner,
  createRefreshTokens,
  ensureRefreshSecret,
  generateKeyAndCertificate,
  loadKeySet,
  type KeySet,
} from '../token/index.js';
import type { RegauthConfig } from './config.schema.js';
import type { LoadedConfig } from './config-loader.js';

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;

/**
 * Everything a request needs, built once from one config and never changed: compiled ACL,
 * provider instances, imported keys with their precomputed headers. A reload builds a whole new
 * snapshot and swaps it in; a request keeps the snapshot it started with.
 */
export interface Snapshot {
  readonly config: RegauthConfig;
  readonly source: LoadedConfig;
  readonly acl: CompiledAcl;
  readonly providers: readonly Provider[];
  readonly keys: KeySet;
  readonly signer: { sign(claims: object): string };
  readonly refresh: RefreshTokens | null;
  /** Files created at start because `token.generate_missing` asked for it. */
  readonly generated: readonly string[];
  readonly warnings: readonly string[];
}

export async function buildSnapshot(source: LoadedConfig): Promise<Snapshot> {
  const { config, baseDir } = source;
  const at = (p: string): string => resolve(baseDir, p);
  const generated: string[] = [];
  if (config.token.generate_missing) generated.push(...(await generateMissingFiles(config, at)));

  const keys = await loadKeySet({
    keys: config.token.keys.map((k) => ({ key: at(k.key), certificate: k.certificate && at(k.certificate), kid: k.kid })),
    kidFormat: config.token.kid_format,
    x5c: config.token.x5c ?? config.token.keys[0]!.certificate !== undefined,
    path: 'token.keys',
  });
  const x5c = config.token.x5c ?? keys.signer.certificate !== undefined;
  const refreshConfig = config.token.refresh;
  const refresh = refreshConfig
    ? createRefreshTokens({
        secrets: await Promise.all(refreshConfig.secrets.map(async (f) => readSecret(at(f)))),
        issuer: config.token.issuer,
        ttlSeconds: Math.floor(refreshConfig.expiration / 1000),
      })
    : null;

  const providers: Provider[] = [];
  try {
    for (const [index, providerConfig] of config.authn.entries()) {
      providers.push(await createProvider(providerConfig, { baseDir, name: providerName(providerConfig, index) }));
    }
  } catch (err) {
    await Promise.allSettled(providers.map((p) => p.close?.()));
    throw err;
  }
  return Object.freeze({
    config,
    source,
    acl: compileAcl(config.acl, 'acl').acl,
    providers: Object.freeze(providers),
    keys,
    signer: createJwtSigner(keys.signer, { x5c }),
    refresh,
    generated: Object.freeze(generated),
    warnings: Object.freeze([...source.warnings, ...keys.warnings]),
  });
}

export async function closeSnapshot(snapshot: Snapshot): Promise<void> {
  await Promise.allSettled(snapshot.providers.map((p) => p.close?.()));
}

async function readSecret(file: string): Promise<Buffer> {
  const text = (await readFile(file, 'utf8')).trim();
  const secret = Buffer.from(text, 'base64');
  if (secret.length < 32) throw new Error(`refresh secret ${file} must hold at least 32 bytes, base64-encoded`);
  return secret;
}

/** Development convenience: a fresh clone starts without any key material checked in. */
async function generateMissingFiles(config: RegauthConfig, at: (p: string) => string): Promise<string[]> {
  const created: string[] = [];
  for (const key of config.token.keys) {
    const keyPath = at(key.key);
    if (existsSync(keyPath)) continue;
    const pair = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName: config.token.issuer, days: 365 });
    await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
    await writeFile(keyPath, pair.keyPem, { mode: 0o600 });
    created.push(keyPath);
    if (key.certificate) {
      await writeFile(at(key.certificate), pair.certPem, { mode: 0o644 });
      created.push(at(key.certificate));
    }
  }
  for (const file of config.token.refresh?.secrets ?? []) {
    if (existsSync(at(file))) continue;
    await mkdir(dirname(at(file)), { recursive: true, mode: 0o700 });
    await ensureRefreshSecret(at(file));
    created.push(at(file));
  }
  return created;
}
