import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { compileAcl } from '../acl/index.js';
import { PROVIDER_TYPES } from '../authn/provider-registry.js';
import { ConfigError, fromZodIssues, type ConfigIssue } from './config-issue.js';
import { configSchema, type RegauthConfig } from './config.schema.js';
import { isDockerAuthConfig, toSourcePath, translateDockerAuth, type PathMap } from './docker-auth.translator.js';
import { resolveSecretRefs } from './secret-refs.js';

export interface LoadedConfig {
  readonly config: RegauthConfig;
  readonly file: string;
  /** Relative paths inside the config resolve against the config file's folder. */
  readonly baseDir: string;
  readonly format: 'native' | 'docker_auth';
  readonly warnings: readonly string[];
  /** For docker_auth files: maps native paths back to the keys the operator wrote. */
  readonly pathMap: PathMap;
}

/** Reads, translates, validates: every problem is collected and thrown as one ConfigError. */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? err}` }]);
  }
  return parseConfigText(text, path, env);
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const baseDir = dirname(resolve(file));
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split(' at line ')[0]!.split('\n')[0]} (line ${e.linePos?.[0]?.line ?? '?'})` })));
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: 'the config must be a YAML map' }]);
  }

  const issues: ConfigIssue[] = [];
  const refs = resolveSecretRefs(raw, baseDir, env);
  issues.push(...refs.issues);
  let native = refs.value as Record<string, unknown>;
  let pathMap: PathMap = [];
  const format = isDockerAuthConfig(native) ? 'docker_auth' : 'native';
  if (format === 'docker_auth') {
    const translation = translateDockerAuth(native, Object.keys(PROVIDER_TYPES));
    issues.push(...translation.issues);
    native = translation.config;
    pathMap = translation.pathMap;
  }

  const parsed = configSchema.safeParse(native);
  const warnings: string[] = [];
  if (!parsed.success) {
    issues.push(...fromZodIssues(parsed.error.issues).map((i) => ({ ...i, path: toSourcePath(i.path, pathMap) })));
  } else {
    issues.push(...semanticIssues(parsed.data, warnings));
  }
  if (issues.length > 0) throw new ConfigError(file, dedupe(issues));
  return deepFreeze({ config: parsed.data!, file, baseDir, format, warnings, pathMap });
}

/** Checks the schema cannot express: patterns, addresses, cross-field rules. */
function semanticIssues(config: RegauthConfig, warnings: string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const acl = compileAcl(config.acl, 'acl');
  issues.push(...acl.issues);
  warnings.push(...acl.warnings);
  config.server.trusted_proxies.forEach((entry, i) => {
    if (!isAddressOrCidr(entry)) issues.push({ path: `server.trusted_proxies[${i}]`, message: `invalid address or CIDR "${entry}"` });
  });
  if ((config.server.certificate === undefined) !== (config.server.key === undefined)) {
    issues.push({ path: 'server', message: 'certificate and key go together (TLS needs both)' });
  }
  const names = new Map<string, number>();
  config.authn.forEach((p, i) => {
    if (p.name === undefined) return;
    if (names.has(p.name)) issues.push({ path: `authn[${i}].name`, message: `duplicate provider name "${p.name}" (also authn[${names.get(p.name)}])` });
    names.set(p.name, i);
  });
  if (config.token.expiration > 3600) {
    warnings.push(`token.expiration is ${config.token.expiration}s; registry tokens are usually kept under an hour`);
  }
  return issues;
}

export function isAddressOrCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  const prefix = Number(bits);
  try {
    new BlockList().addSubnet(address!, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.path}\0${i.message}`) && seen.add(`${i.path}\0${i.message}`));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
