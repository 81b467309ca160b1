import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { duration } from '../common/duration.js';
import type { RequestContext } from '../common/request-context.js';
import type { Secret } from '../common/secret.js';
import type { AllowResult, Provider } from './provider.js';

/** Successful logins kept per provider at most; the least recently used go first. */
export const CREDENTIAL_CACHE_ENTRIES = 10_000;

/** The `cache` key every provider type accepts. */
export const credentialCacheField = {
  cache: duration.prefault('60s').describe('Remember a successful login for this long (0: never): repeated logins skip bcrypt, the directory or the script'),
};
export type CredentialCacheConfig = z.output<z.ZodObject<typeof credentialCacheField>>;

/**
 * A CI fleet logs in with the same credentials over and over; each login costs a bcrypt compare,
 * an LDAP bind or a script run. A successful result is remembered for a short time under an
 * HMAC of provider, user and password with a key made at random when the config is loaded: the
 * cache holds no password, nothing that could be checked against one offline once the process is
 * gone, and is never written anywhere. Only `allow` is cached: a denial, `no_match` or an error
 * always asks the backend again. Every reload builds new providers, so a new cache: a password
 * changed in the config takes effect at once; one changed in a directory or behind a script
 * takes effect within `cache` (docs/security.md rule 9). Throttling runs before any provider, so
 * cached logins count as usual.
 */
export function withCredentialCache(provider: Provider, ttlMs: number): Provider {
  if (ttlMs <= 0) return provider;
  const key = randomBytes(32);
  const entries = new LRUCache<string, AllowResult>({ max: CREDENTIAL_CACHE_ENTRIES, ttl: ttlMs, ttlAutopurge: false });
  const entryKey = (user: string, password: Secret): string =>
    createHmac('sha256', key).update(provider.name).update('\0').update(user).update('\0').update(password.reveal()).digest('base64url');

  // Methods are bound, not spread: providers may be class instances.
  return {
    name: provider.name,
    ...(provider.lookup ? { lookup: provider.lookup.bind(provider) } : {}),
    ...(provider.close ? { close: provider.close.bind(provider) } : {}),
    async authenticate(user: string, password: Secret, ctx: RequestContext) {
      // Anonymous requests cost nothing to check; only real credentials are worth remembering.
      if (password.isEmpty) return provider.authenticate(user, password, ctx);
      const id = entryKey(user, password);
      const hit = entries.get(id);
      if (hit) return hit;
      const result = await provider.authenticate(user, password, ctx);
      if (result.kind === 'allow') {
        // Never past the credential's own end (an id token's exp).
        const ttl = result.validUntil === undefined ? ttlMs : Math.min(ttlMs, result.validUntil - Date.now());
        if (ttl > 0) entries.set(id, result, { ttl });
      }
      return result;
    },
  };
}
