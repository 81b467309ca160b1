import type { ConfigIssue } from './config-issue.js';

/**
 * docker_auth (cesanta/docker_auth 1.x) writes its config as fixed top-level sections; we
 * write an ordered provider list. Operators must be able to bring their `auth_config.yml`
 * unchanged, so this pure function maps one onto the other, keeping docker_auth's fixed
 * authentication order: users → ext_auth → ldap_auth. Sections for features we do not have are
 * errors that name them: dropping them silently would change who gets in.
 */

const UNSUPPORTED_SECTIONS = [
  'google_auth',
  'github_auth',
  'oidc_auth',
  'gitlab_auth',
  'mongo_auth',
  'xorm_auth',
  'plugin_authn',
  'acl_mongo',
  'acl_xorm',
  'casbin_authz',
  'plugin_authz',
];
const SERVER_KEYS = ['addr', 'path_prefix', 'certificate', 'key', 'real_ip_header', 'real_ip_pos'];
const SERVER_UNSUPPORTED = ['net', 'letsencrypt', 'hsts', 'tls_min_version', 'tls_curve_preferences', 'tls_cipher_suites'];
const TOKEN_KEYS = ['issuer', 'expiration', 'certificate', 'key', 'disable_legacy_key_id'];

/** Native path prefix → where the operator wrote it, so errors point into their own file. */
export type PathMap = readonly (readonly [native: string, source: string])[];

export interface Translation {
  readonly config: Record<string, unknown>;
  readonly issues: ConfigIssue[];
  readonly pathMap: PathMap;
}

/** A file without our `authn` list but with docker_auth's sections is a docker_auth config. */
export function isDockerAuthConfig(raw: Record<string, unknown>): boolean {
  return !('authn' in raw);
}

export function translateDockerAuth(raw: Record<string, unknown>, providerTypes: readonly string[]): Translation {
  const issues: ConfigIssue[] = [];
  const pathMap: [string, string][] = [];
  const config: Record<string, unknown> = {};

  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_SECTIONS.includes(key)) issues.push({ path: key, message: `not supported: ${key}` });
    else if (!['server', 'token', 'users', 'ext_auth', 'ldap_auth', 'ext_authz', 'acl'].includes(key)) {
      issues.push({ path: key, message: 'unknown key' });
    }
  }

  const server = pick(raw.server, 'server', SERVER_KEYS, SERVER_UNSUPPORTED, issues);
  // docker_auth believes real_ip_header from every client and has no way to name the proxies
  // that set it; the loader warns about that at every start.
  if (server) config.server = server.real_ip_header === undefined ? server : { ...server, real_ip_from: 'any' };

  const token = pick(raw.token, 'token', TOKEN_KEYS, [], issues);
  if (token) {
    const { certificate, key, disable_legacy_key_id: rfcKid, ...rest } = token;
    // docker_auth never sent x5c; registries set up for it may hold an expired certificate,
    // which the kid path ignores and the x5c path rejects. Keep its behaviour.
    config.token = { ...rest, keys: [{ key, certificate }], kid_format: rfcKid === true ? 'jwk-thumbprint' : 'libtrust', x5c: false };
    pathMap.push(['token.keys[0].key', 'token.key'], ['token.keys[0].certificate', 'token.certificate'], ['token.kid_format', 'token.disable_legacy_key_id']);
  } else {
    issues.push({ path: 'token', message: 'required' });
  }

  const authn: Record<string, unknown>[] = [];
  const addProvider = (section: string, type: string, body: unknown): void => {
    if (!providerTypes.includes(type)) {
      issues.push({ path: section, message: `${section} needs the "${type}" provider, which this version does not include yet` });
      return;
    }
    if (type === 'static') pathMap.push([`authn[${authn.length}].users`, 'users']);
    pathMap.push([`authn[${authn.length}]`, section]);
    // docker_auth asks its backends on every login: no credential cache, as there.
    authn.push({ ...(isObject(body) ? body : {}), type, name: section, cache: 0 });
  };
  if (raw.users !== undefined) {
    if (isObject(raw.users)) addProvider('users', 'static', { users: raw.users });
    else issues.push({ path: 'users', message: 'expected a map of user name to { password, labels }' });
  }
  // docker_auth runs ext_auth/ext_authz with its own whole environment and has no way to name
  // variables; the usual CI script reads CICD_SECRET from it. Keep that for translated configs.
  if (raw.ext_auth !== undefined) {
    if (isObject(raw.ext_auth)) addProvider('ext_auth', 'command', { inherit_env: true, ...raw.ext_auth });
    else issues.push({ path: 'ext_auth', message: 'expected a map with command and args' });
  }
  if (raw.ldap_auth !== undefined) addProvider('ldap_auth', 'ldap', raw.ldap_auth);
  config.authn = authn;

  if (raw.ext_authz !== undefined) {
    if (isObject(raw.ext_authz)) {
      // docker_auth never reads ext_authz's stdout: exit 0 grants everything requested.
      config.authz = [{ inherit_env: true, stdout: 'ignore', ...raw.ext_authz, type: 'command', name: 'ext_authz' }];
      pathMap.push(['authz[0]', 'ext_authz']);
    } else {
      issues.push({ path: 'ext_authz', message: 'expected a map with command and args' });
    }
  }
  if (raw.acl !== undefined) config.acl = raw.acl;
  return { config, issues, pathMap };
}

/** Rewrites a native issue path into the docker_auth file's own terms. */
export function toSourcePath(path: string, pathMap: PathMap): string {
  for (const [native, source] of pathMap) {
    if (path === native || path.startsWith(`${native}.`) || path.startsWith(`${native}[`)) {
      return `${source}${path.slice(native.length)}`;
    }
  }
  return path;
}

function pick(
  value: unknown,
  section: string,
  known: readonly string[],
  unsupported: readonly string[],
  issues: ConfigIssue[],
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    issues.push({ path: section, message: 'expected a map' });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (known.includes(k)) out[k] = v;
    else if (unsupported.includes(k)) issues.push({ path: `${section}.${k}`, message: `not supported: ${section}.${k}` });
    else issues.push({ path: `${section}.${k}`, message: 'unknown key' });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
