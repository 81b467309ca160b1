import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { CompiledAcl } from '../acl/index.js';
import { addressList } from '../common/address-list.js';
import { ConcurrencyLimiter } from '../common/concurrency-limiter.js';
import { looseSecretFileWarning } from '../common/file-mode.js';
import { workerShare } from '../common/worker-share.js';
import { filesSignature } from './files-signature.js';
import { withCredentialCache } from '../authn/credential-cache.js';
import { createProvider, providerName } from '../authn/provider-registry.js';
import type { Provider } from '../authn/provider.js';
import { authorizerName, createAuthorizer } from '../authz/authorizer-registry.js';
import type { Authorizer } from '../authz/authorizer.js';
import {
  createJwtSigner,
  createRefreshTokens,
  ensureRefreshSecret,
  ensureKeyPair,
  KeyLoadError,
  loadKeySet,
  parseRefreshSecret,
  type KeySet,
  type RefreshTokens,
} from '../token/index.js';
import type { RegauthConfig } from './config.schema.js';
import { ConfigError } from './config-issue.js';
import { toSourcePath } from './docker-auth.translator.js';
import type { LoadedConfig } from './config-loader.js';
import { keySetOptions } from './key-options.js';

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
  /** Asked after the ACL, in order, for scopes it does not decide. */
  readonly authorizers: readonly Authorizer[];
  readonly keys: KeySet;
  readonly signer: { sign(claims: object): Promise<string> };
  readonly refresh: RefreshTokens | null;
  /** Whether a peer address is one of server.trusted_proxies. */
  readonly trustedProxy: (address: string | undefined) => boolean;
  /** The bound every bcrypt compare of this config runs under (server.password_hashing). */
  readonly passwordHashing: ConcurrencyLimiter;
  /** server.certificate and server.key, read and checked as a pair; null for plain http. */
  readonly tls: ServerTls | null;
  /**
   * Every file this snapshot was built from: the config file, `${file:}` references, keys,
   * certificates, secrets, and what the backends declared (scripts, CA bundles, modules).
   */
  readonly files: readonly string[];
  /** The files' contents as one digest, taken once the snapshot is built: a reload is due when it changes. */
  readonly filesSignature: string;
  /** Files created at start because `token.generate_missing` asked for it. */
  readonly generated: readonly string[];
  readonly warnings: readonly string[];
}

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export async function buildSnapshot(source: LoadedConfig): Promise<Snapshot> {
  const { config, baseDir } = source;
  const at = (p: string): string => resolve(baseDir, p);
  const generated: string[] = [];
  if (config.token.generate_missing) generated.push(...(await generateMissingFiles(config, at)));

  const keyOptions = keySetOptions(config.token, baseDir);
  const keys = await loadKeySet(keyOptions).catch((err: unknown) => {
    if (!(err instanceof KeyLoadError)) throw err;
    throw new ConfigError(
      source.file,
      err.issues.map((i) => ({ path: toSourcePath(i.path, source.pathMap), message: i.message })),
    );
  });
  const refreshConfig = config.token.refresh;
  const refresh = refreshConfig
    ? createRefreshTokens({
        secrets: await Promise.all(refreshConfig.secrets.map(async (f) => readSecret(at(f)))),
        issuer: config.token.issuer,
        ttlSeconds: Math.floor(refreshConfig.expiration / 1000),
        notBefore: refreshConfig.not_before === undefined ? undefined : Date.parse(refreshConfig.not_before),
      })
    : null;

  const tls = await readServerTls(config, at, source);

  const { concurrency, queue } = config.server.password_hashing;
  const passwordHashing = new ConcurrencyLimiter({ concurrency: workerShare(concurrency), queue, name: 'password hashing' });
  const providers: Provider[] = [];
  const authorizers: Authorizer[] = [];
  const backendWarnings: string[] = [];
  const warn = (message: string): void => void backendWarnings.push(message);
  const files = new Set<string>([
    ...source.files,
    ...keyOptions.keys.flatMap((k) => (k.certificate ? [k.key, k.certificate] : [k.key])),
    ...(config.token.refresh?.secrets ?? []).map(at),
    ...(tls ? [at(config.server.certificate!), at(config.server.key!)] : []),
  ]);
  const uses = (file: string): void => void files.add(file);
  // A backend that cannot be set up (script missing or not executable, plugin of the wrong
  // shape, unreadable TLS file) is a config error that names the entry.
  const setupError = (path: string, err: unknown): ConfigError =>
    err instanceof ConfigError
      ? err
      : new ConfigError(source.file, [{ path: toSourcePath(path, source.pathMap), message: err instanceof Error ? err.message : String(err) }]);
  try {
    for (const [index, providerConfig] of config.authn.entries()) {
      const created = await createProvider(providerConfig, { baseDir, name: providerName(providerConfig, index), warn, uses, passwordHashing }).catch(
        (err: unknown) => {
          throw setupError(`authn[${index}]`, err);
        },
      );
      providers.push(withCredentialCache(created, providerConfig.cache));
    }
    for (const [index, authorizerConfig] of config.authz.entries()) {
      const created = await createAuthorizer(authorizerConfig, { baseDir, name: authorizerName(authorizerConfig, index), warn, uses }).catch((err: unknown) => {
        throw setupError(`authz[${index}]`, err);
      });
      authorizers.push(created);
    }
  } catch (err) {
    await Promise.allSettled([...providers, ...authorizers].map(async (p) => p.close?.()));
    throw err;
  }
  return Object.freeze({
    config,
    source,
    acl: source.acl,
    providers: Object.freeze(providers),
    authorizers: Object.freeze(authorizers),
    keys,
    signer: createJwtSigner(keys.signer, { x5c: keyOptions.x5c }),
    refresh,
    passwordHashing,
    tls,
    trustedProxy: addressList(config.server.trusted_proxies),
    files: Object.freeze([...files]),
    filesSignature: await filesSignature([...files]),
    generated: Object.freeze(generated),
    warnings: Object.freeze([...source.warnings, ...keys.warnings, ...secretFileWarnings(config, at), ...backendWarnings]),
  });
}

export async function closeSnapshot(snapshot: Snapshot): Promise<void> {
  await Promise.allSettled([...snapshot.providers, ...snapshot.authorizers].map(async (p) => p.close?.()));
}

/** The files of the config itself that hold secrets; backends check their own (bind password, TLS keys). */
function secretFileWarnings(config: RegauthConfig, at: (p: string) => string): string[] {
  const files = [
    ...config.token.keys.map((k, i) => [`token.keys[${i}].key`, k.key] as const),
    ...(config.token.refresh?.secrets ?? []).map((f, i) => [`token.refresh.secrets[${i}]`, f] as const),
    ...(config.server.key === undefined ? [] : [['server.key', config.server.key] as const]),
  ];
  return files.flatMap(([key, file]) => looseSecretFileWarning(at(file), `${key} (${file})`) ?? []);
}

/**
 * Read with the rest of the config, so a reload that brings a renewed certificate is checked
 * (files readable, key matching the certificate) before anything is swapped.
 */
async function readServerTls(config: RegauthConfig, at: (p: string) => string, source: LoadedConfig): Promise<ServerTls | null> {
  const { certificate, key } = config.server;
  if (certificate === undefined || key === undefined) return null;
  const fail = (path: string, message: string): ConfigError => new ConfigError(source.file, [{ path: toSourcePath(path, source.pathMap), message }]);
  const read = async (path: string, file: string): Promise<Buffer> =>
    readFile(at(file)).catch((err: NodeJS.ErrnoException) => {
      throw fail(path, `cannot read ${file}: ${err.code ?? String(err)}`);
    });
  const tls = { cert: await read('server.certificate', certificate), key: await read('server.key', key) };
  try {
    createSecureContext(tls);
  } catch (err) {
    throw fail('server.key', `cannot serve TLS with this certificate and key: ${(err as Error).message}`);
  }
  return tls;
}

async function readSecret(file: string): Promise<Buffer> {
  return parseRefreshSecret(await readFile(file, 'utf8'), file);
}

/** Development convenience: a fresh clone starts without any key material checked in. */
async function generateMissingFiles(config: RegauthConfig, at: (p: string) => string): Promise<string[]> {
  const created: string[] = [];
  for (const key of config.token.keys) {
    const files = await ensureKeyPair(at(key.key), key.certificate && at(key.certificate), config.token.issuer);
    if (files.created) created.push(files.keyPath, ...(files.certPath ? [files.certPath] : []));
  }
  for (const file of config.token.refresh?.secrets ?? []) {
    if (existsSync(at(file))) continue;
    await ensureRefreshSecret(at(file));
    created.push(at(file));
  }
  return created;
}
