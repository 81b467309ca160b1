import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AxiosInstance } from 'axios';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { isLoopbackHost } from '../../common/loopback.js';
import type { OidcIssuerConfig } from './oidc.schema.js';

/** The issuer's keys could not be had and none are cached: the request fails with 503, not 401. */
export class IssuerUnavailable extends Error {
  override readonly name = 'IssuerUnavailable';
}

export interface KeySettings {
  readonly http: AxiosInstance;
  readonly timeout: number;
  /** Upper bound on how long fetched keys are used, whatever Cache-Control says. */
  readonly maxAge: number;
  /** Lower bound between two fetches: unknown key ids and no-cache answers cannot make us hammer the issuer. */
  readonly refetchInterval: number;
  readonly baseDir: string;
  readonly uses: (file: string) => void;
}

export interface IssuerKeys {
  /** The key set to verify with now: fetched, cached or from the file. Throws IssuerUnavailable. */
  current(): Promise<JWTVerifyGetKey>;
  /** After an unknown key id: fetch again unless that happened within the refetch interval. */
  refetch(): Promise<JWTVerifyGetKey | null>;
}

interface Fetched {
  readonly keys: JWTVerifyGetKey;
  readonly at: number;
  readonly freshUntil: number;
}

/**
 * One issuer's signing keys. A JWKS file is read once per config load. Fetched keys come from
 * `jwks_uri`, or from OIDC discovery ({issuer}/.well-known/openid-configuration, whose `issuer`
 * must be ours exactly), and are kept as long as the answer's Cache-Control allows within
 * [refetch_interval, keys_max_age]. Past that they go on being used for up to another
 * keys_max_age while a fetch runs in the background (at most one per refetch_interval): an issuer
 * outage does not log every CI job out, and a slow issuer slows no login. Concurrent requests
 * share one fetch.
 */
export function createIssuerKeys(issuer: OidcIssuerConfig, settings: KeySettings): IssuerKeys {
  if (issuer.jwks_file !== undefined) {
    const file = resolve(settings.baseDir, issuer.jwks_file);
    const keys = createLocalJWKSet(parseJwks(readFileSync(file, 'utf8'), issuer.jwks_file));
    settings.uses(file);
    return { current: async () => keys, refetch: async () => null };
  }
  let fetched: Fetched | null = null;
  let inFlight: Promise<Fetched> | null = null;
  // When the last fetch started, whatever its outcome: a failing or hanging issuer is asked no
  // more often than a healthy one.
  let lastAttempt = 0;

  const fetchKeys = (): Promise<Fetched> => {
    if (!inFlight) {
      lastAttempt = Date.now();
      inFlight = download(issuer, settings).finally(() => (inFlight = null));
    }
    return inFlight;
  };
  const recentlyAsked = (): boolean => Date.now() - lastAttempt < settings.refetchInterval;

  return {
    async current() {
      const now = Date.now();
      if (fetched && now < fetched.freshUntil) return fetched.keys;
      if (fetched && now < fetched.freshUntil + settings.maxAge) {
        // Stale but usable: fetched again in the background, so no login waits for a slow or
        // unreachable issuer while there are keys to check with.
        if (!recentlyAsked()) void fetchKeys().then((f) => (fetched = f), ignoreFailure);
        return fetched.keys;
      }
      try {
        fetched = await fetchKeys();
      } catch (err) {
        throw new IssuerUnavailable(`keys of ${issuer.issuer}: ${(err as Error).message}`, { cause: err });
      }
      return fetched.keys;
    },
    async refetch() {
      if (recentlyAsked()) return null;
      try {
        fetched = await fetchKeys();
        return fetched.keys;
      } catch {
        return null;
      }
    },
  };
}

/** A background fetch that fails leaves the keys in use; the next one is tried after refetch_interval. */
const ignoreFailure = (): void => undefined;

async function download(issuer: OidcIssuerConfig, settings: KeySettings): Promise<Fetched> {
  const jwksUri = issuer.jwks_uri ?? (await discover(issuer, settings));
  const res = await get(settings, jwksUri);
  const lifetime = Math.min(settings.maxAge, Math.max(settings.refetchInterval, maxAge(res.headers['cache-control']) ?? settings.maxAge));
  const now = Date.now();
  return { keys: createLocalJWKSet(parseJwks(res.data, jwksUri)), at: now, freshUntil: now + lifetime };
}

async function discover(issuer: OidcIssuerConfig, settings: KeySettings): Promise<string> {
  const where = `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const { data } = await get(settings, where);
  const doc = (typeof data === 'object' && data !== null ? data : {}) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
  if (doc.issuer !== issuer.issuer) throw new Error(`${where} names issuer ${JSON.stringify(doc.issuer)}, not ${issuer.issuer}`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${where} has no jwks_uri`);
  const jwks = new URL(doc.jwks_uri);
  if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && (issuer.allow_http || isLoopbackHost(jwks.hostname)))) {
    throw new Error(`${where} points at keys over ${jwks.protocol} (${jwks.origin}): only https is accepted`);
  }
  return doc.jwks_uri;
}

/** The timeout covers the whole exchange, body included; one fetch serves every request waiting on it. */
function get(settings: KeySettings, url: string) {
  return settings.http.get<unknown>(url, { signal: AbortSignal.timeout(settings.timeout) });
}

function parseJwks(data: unknown, source: string): JSONWebKeySet {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error(`${source} is not JSON`);
    }
  }
  const keys: unknown = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error(`${source} is not a JWKS (no "keys" array)`);
  // jose checks each key when it is picked; a malformed one then fails that token only.
  return { keys: keys as JSONWebKeySet['keys'] };
}

/** max-age (or s-maxage) in ms; 0 for no-store/no-cache; undefined when the header says nothing. */
export function maxAge(header: unknown): number | undefined {
  if (typeof header !== 'string') return undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(header)) return 0;
  const m = /(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*"?(\d+)"?/i.exec(header);
  return m ? Number(m[1]) * 1000 : undefined;
}
