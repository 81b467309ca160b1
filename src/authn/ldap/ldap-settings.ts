import { readFile } from 'node:fs/promises';
import { looseSecretFileWarning } from '../../common/file-mode.js';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { compileTemplate, type Template } from './ldap-escape.js';
import type { LdapProviderConfig } from './ldap.schema.js';

/** How to reach one server: plain, upgraded with StartTLS, or TLS from the first byte. */
export interface LdapTarget {
  /** For logs: ldap://host:389, ldaps://host:636, or ldap://host:389 (starttls). */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly security: 'plain' | 'starttls' | 'ldaps';
}

export interface LabelRule {
  readonly label: string;
  readonly attribute: string;
  readonly parseCn: boolean;
  readonly lowerCase: boolean;
}

/** Everything the provider needs, resolved once at start: files read, templates split. */
export interface LdapSettings {
  readonly targets: readonly LdapTarget[];
  /** Applied to LDAPS and StartTLS alike; `ca` replaces the system CAs when set. */
  readonly tls: Readonly<Pick<TlsOptions, 'ca' | 'rejectUnauthorized' | 'minVersion'>>;
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
  /** `service`: search with bind_dn (or anonymously); `user`: docker_auth's initial_bind_as_user. */
  readonly mode: { readonly kind: 'service'; readonly bindDn: string | null; readonly password: string } | { readonly kind: 'user'; readonly bindDn: Template };
  readonly base: string;
  readonly filter: Template;
  /** Finds an entry again by the token's `sub` (refresh): see `lookupFilter`. */
  readonly lookupFilter: Template;
  readonly labels: readonly LabelRule[];
  readonly groupSearch: (LabelRule & { readonly base: string; readonly filter: Template }) | null;
  readonly accountAttribute: string | null;
  /** Attributes the user search asks for (labels, account), by name: memberOf is operational. */
  readonly entryAttributes: readonly string[];
  readonly poolSize: number;
  readonly concurrency: number;
  readonly queue: number;
  readonly warnings: readonly string[];
  /** Files read (CA bundle, password file): a change to them reloads the config. */
  readonly files: readonly string[];
}

/** Reads the files a config names; a missing or unreadable one is a start-up error naming its key. */
export async function resolveLdapSettings(config: LdapProviderConfig, baseDir: string, providerName: string): Promise<LdapSettings> {
  // The snapshot builder prefixes the provider's path (authn[2] or ldap_auth); we name the key.
  const fail = (key: string, message: string): never => {
    throw new Error(`${key}: ${message}`);
  };
  const files: string[] = [];
  const readKeyFile = async (key: string, file: string): Promise<string> => {
    try {
      const text = await readFile(resolve(baseDir, file), 'utf8');
      files.push(resolve(baseDir, file));
      return text;
    } catch (err) {
      return fail(key, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };

  const targets = ldapTargets(config);
  const warnings: string[] = [];
  const verify = config.insecure_tls_skip_verify !== true;
  const usesTls = targets.some((t) => t.security !== 'plain');
  // Every mode sends the user's password in a bind, so each plain server of a failover list counts.
  for (const plain of targets.filter((t) => t.security === 'plain')) {
    warnings.push(`LDAP provider ${providerName}: passwords go to ${plain.label} unencrypted; use ldaps:// or tls: starttls`);
  }
  let ca: string | undefined;
  if (config.ca_certificate) {
    ca = await readKeyFile('ca_certificate', config.ca_certificate);
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) fail('ca_certificate', `${config.ca_certificate} holds no PEM certificate`);
  }
  if (!verify && usesTls) {
    warnings.push(
      `LDAP provider ${providerName}: insecure_tls_skip_verify is on — the directory's certificate is NOT checked, so anyone on the network path can impersonate it and read passwords. Never use this in production.`,
    );
  }

  let mode: LdapSettings['mode'];
  if (config.initial_bind_as_user) {
    mode = { kind: 'user', bindDn: compileTemplate(config.bind_dn!) };
  } else {
    let password = config.bind_password ?? '';
    if (config.bind_password_file) {
      // docker_auth trims the file (strings.TrimSpace); editors and `echo` add a newline.
      password = (await readKeyFile('bind_password_file', config.bind_password_file)).trim();
      const loose = looseSecretFileWarning(
        resolve(baseDir, config.bind_password_file),
        `LDAP provider ${providerName}: bind_password_file (${config.bind_password_file})`,
      );
      if (loose) warnings.push(loose);
    }
    const bindDn = config.bind_dn || null;
    if (bindDn !== null && password === '') {
      fail(
        config.bind_password_file ? 'bind_password_file' : 'bind_password',
        'the service account password is empty (an empty password is an anonymous bind)',
      );
    }
    mode = { kind: 'service', bindDn, password };
  }

  const labels = Object.entries(config.labels ?? {}).map(([label, rule]) => ({
    label,
    attribute: rule.attribute,
    parseCn: rule.parse_cn === true,
    lowerCase: rule.lower_case === true,
  }));
  const group = config.group_search;
  const accountAttribute = config.account_attribute ?? null;
  const filter = compileTemplate(config.filter);
  const entryAttributes = [...new Set([...labels.map((l) => l.attribute), ...(accountAttribute ? [accountAttribute] : [])])];

  return {
    targets,
    tls: { ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: verify, minVersion: 'TLSv1.2' },
    connectTimeoutMs: config.connect_timeout,
    operationTimeoutMs: config.timeout,
    mode,
    base: config.base,
    filter,
    lookupFilter: accountAttribute === null ? filter : lookupFilter(filter, accountAttribute),
    labels,
    groupSearch: group
      ? {
          label: group.label,
          attribute: group.attribute,
          parseCn: group.parse_cn,
          lowerCase: group.lower_case,
          base: group.base,
          filter: compileTemplate(group.filter),
        }
      : null,
    accountAttribute,
    entryAttributes,
    poolSize: config.pool_size,
    concurrency: config.concurrency,
    queue: config.queue,
    warnings,
    files,
  };
}

/**
 * With `account_attribute`, a token's `sub` is that attribute's value, not what the user typed
 * into `filter` (`(cn=${account})` with `account_attribute: uid`). Refresh finds the entry by
 * `(&<filter with ${account} as *>(<account_attribute>=<sub>))`: the account attribute names
 * the entry and the rest of the filter (object class, group, disabled flag) still has to hold.
 * `(cn=*)` asks for any value, `(mail=*@example.org)` keeps the suffix.
 */
function lookupFilter(filter: Template, accountAttribute: string): Template {
  const anyAccount = filter.render({ account: '*' }, (wildcard) => wildcard);
  return compileTemplate(`(&${anyAccount}(${accountAttribute}=\${account}))`);
}

/**
 * The servers to try, in order. docker_auth's `addr` + `tls` (`always` implied for port 636)
 * or our `url` (a list means failover); `tls: starttls` upgrades ldap:// URLs.
 */
export function ldapTargets(config: Pick<LdapProviderConfig, 'url' | 'addr' | 'tls'>): LdapTarget[] {
  if (config.url !== undefined) {
    return [config.url].flat().map((text) => {
      const url = new URL(text);
      const ldaps = url.protocol === 'ldaps:';
      const host = unbracket(url.hostname);
      const port = url.port ? Number(url.port) : ldaps ? 636 : 389;
      const security = ldaps ? 'ldaps' : config.tls === 'starttls' ? 'starttls' : 'plain';
      return target(host, port, security);
    });
  }
  const addr = config.addr!;
  const colon = addr.lastIndexOf(':');
  const host = unbracket(addr.slice(0, colon));
  const port = Number(addr.slice(colon + 1));
  const tls = config.tls || (port === 636 ? 'always' : 'none');
  return [target(host, port, tls === 'always' ? 'ldaps' : tls === 'starttls' ? 'starttls' : 'plain')];
}

function target(host: string, port: number, security: LdapTarget['security']): LdapTarget {
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  const label = `${security === 'ldaps' ? 'ldaps' : 'ldap'}://${shown}:${port}${security === 'starttls' ? ' (starttls)' : ''}`;
  return { label, host, port, security };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
