import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument, type YAMLError } from 'yaml';
import { isAddressOrCidr } from '../common/address-list.js';
import { compileAcl, type AclOptions, type CompiledAcl } from '../acl/index.js';
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
  /** The ACL, compiled once here; every user of the config (serve, explain) takes this one. */
  readonly acl: CompiledAcl;
  /** The config file and the `${file:…}` references it read. */
  readonly files: readonly string[];
}

/**
 * The one pipeline from a file to a usable config: read, resolve secret references, translate a
 * docker_auth file, validate against the schema, compile the ACL. Every problem is collected and
 * thrown as one ConfigError. `serve`, reloads, `check-config` and `explain` all come through here.
 */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseConfigText(text, path, env);
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const baseDir = dirname(resolve(file));
  const yamlWarnings: string[] = [];
  const raw = parseYaml(text, file, yamlWarnings);

  const issues: ConfigIssue[] = [];
  const refs = resolveSecretRefs(raw, baseDir, env);
  issues.push(...refs.issues);
  let native = refs.value as Record<string, unknown>;
  let pathMap: PathMap = [];
  const format: LoadedConfig['format'] = isDockerAuthConfig(native) ? 'docker_auth' : 'native';
  if (format === 'docker_auth') {
    const translation = translateDockerAuth(native, Object.keys(PROVIDER_TYPES));
    issues.push(...translation.issues);
    native = translation.config;
    pathMap = translation.pathMap;
  }

  const parsed = configSchema.safeParse(native);
  const warnings: string[] = [...yamlWarnings, ...refs.warnings];
  if (!parsed.success) {
    issues.push(...fromZodIssues(parsed.error.issues).map((i) => ({ ...i, path: toSourcePath(i.path, pathMap) })));
    throw new ConfigError(file, dedupe(issues));
  }
  const compiled = compileAcl(parsed.data.acl, 'acl', aclOptions(format));
  issues.push(...compiled.issues, ...semanticIssues(parsed.data, warnings).map((i) => ({ ...i, path: toSourcePath(i.path, pathMap) })));
  warnings.push(...compiled.warnings);
  if (issues.length > 0) throw new ConfigError(file, dedupe(issues));
  // The compiled ACL keeps a cache of substituted patterns, so it is frozen shallowly.
  const files = [resolve(file), ...refs.files];
  return Object.freeze({ ...deepFreeze({ config: parsed.data, file, baseDir, format, warnings, pathMap, files }), acl: compiled.acl });
}

/**
 * Duplicate keys are errors: one of the two values would be silently dropped. docker_auth's YAML
 * library keeps the last one, and its own published LDAP example repeats `bind_dn`, so a
 * docker_auth-format file (no `authn` list) loads with last-wins and a warning per duplicate.
 */
function parseYaml(text: string, file: string, warnings: string[]): Record<string, unknown> {
  const strict = parseDocument(text, { uniqueKeys: true });
  const yamlIssue = (e: YAMLError): ConfigIssue => ({
    path: '',
    message: `YAML: ${e.message.split(' at line ')[0].split('\n')[0]} (line ${e.linePos?.[0]?.line ?? '?'})`,
  });
  let doc = strict;
  if (strict.errors.length > 0 && strict.errors.every((e) => e.code === 'DUPLICATE_KEY')) {
    const lenient = parseDocument(text, { uniqueKeys: false });
    const value: unknown = lenient.errors.length === 0 ? lenient.toJS() : undefined;
    if (isMap(value) && isDockerAuthConfig(value)) {
      for (const e of strict.errors) warnings.push(`${yamlIssue(e).message}: the last value is used, as docker_auth does`);
      doc = lenient;
    }
  }
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map(yamlIssue));
  const raw: unknown = doc.toJS();
  if (!isMap(raw)) throw new ConfigError(file, [{ path: '', message: 'the config must be a YAML map' }]);
  return raw;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks the schema cannot express: patterns, addresses, cross-field rules. */
function semanticIssues(config: RegauthConfig, warnings: string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.server.trusted_proxies.forEach((entry, i) => {
    if (!isAddressOrCidr(entry)) issues.push({ path: `server.trusted_proxies[${i}]`, message: `invalid address or CIDR "${entry}"` });
  });
  const { real_ip_header, real_ip_from, trusted_proxies } = config.server;
  if (real_ip_header !== undefined && real_ip_from === 'trusted_proxies' && trusted_proxies.length === 0) {
    issues.push({ path: 'server.real_ip_header', message: 'needs server.trusted_proxies: only the proxies named there may set the client ip' });
  }
  if (real_ip_header !== undefined && real_ip_from === 'any') {
    warnings.push(
      `server.real_ip_header (${real_ip_header}) is believed from every client, as docker_auth does: anyone can choose the ip that ACL ip rules ` +
        'and the failed-login throttle see. Name your proxies in server.trusted_proxies (native config) instead.',
    );
  }
  if ((config.server.certificate === undefined) !== (config.server.key === undefined)) {
    issues.push({ path: 'server', message: 'certificate and key go together (TLS needs both)' });
  }
  const names = new Map<string, number>();
  config.authn.forEach((p, i) => {
    if (p.name === undefined) return;
    if (names.has(p.name)) issues.push({ path: `authn[${i}].name`, message: `duplicate provider name "${p.name}" (also authn[${names.get(p.name)}])` });
    names.set(p.name, i);
  });
  const unnamed = config.authn.flatMap((p, i) => (p.name === undefined ? [`authn[${i}]`] : []));
  if (config.token.refresh && unnamed.length > 0) {
    // Refresh tokens name the provider that issued them; a positional default name would point
    // at another provider after the list is reordered.
    warnings.push(`refresh tokens are on: give ${unnamed.join(', ')} a stable name (authn[].name)`);
  }
  const notBefore = config.token.refresh?.not_before;
  if (notBefore !== undefined && Date.parse(notBefore) > Date.now()) {
    warnings.push(`token.refresh.not_before (${notBefore}) is in the future: every refresh token issued until then is refused`);
  }
  // The issuer is the realm of every 401 challenge: a character a header cannot carry would turn
  // each refusal into a server error (docs/security.md rule 21).
  const badChar = [...config.token.issuer].find((c) => c < ' ' || (c > '~' && c < '\u00a0') || c > '\u00ff');
  if (badChar !== undefined) {
    const code = `U+${badChar.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    issues.push({ path: 'token.issuer', message: `contains ${code}, which cannot go into the WWW-Authenticate header; use printable characters` });
  }
  if (config.acl.every((rule) => rule.actions.length === 0) && config.authz.length === 0) {
    warnings.push('the config grants nothing: no acl rule gives an action and there is no authz backend, so every scope is refused');
  }
  if (config.token.expiration > 3600) {
    warnings.push(`token.expiration is ${config.token.expiration}s; registry tokens are usually kept under an hour`);
  }
  return issues;
}

/**
 * docker_auth files keep docker_auth's ACL semantics exactly: Go's globs (no `**` extension),
 * rules with an unresolvable `${field:N}` that load but never match, and label values inserted
 * into patterns as pattern text.
 */
export function aclOptions(format: LoadedConfig['format']): AclOptions {
  return format === 'native'
    ? { globstar: true, unresolvedCaptures: 'error', rawLabels: false }
    : { globstar: false, unresolvedCaptures: 'never_match', rawLabels: true };
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
