import type { BackendBuildContext } from '../common/build-context.js';
import type { ConcurrencyLimiter } from '../common/concurrency-limiter.js';
import type { Labels } from '../common/labels.js';
import type { RequestContext } from '../common/request-context.js';
import type { Secret } from '../common/secret.js';

/**
 * What one authentication backend says about a user/password pair.
 * - allow: the credentials are good; labels feed the ACL; `account` is the canonical name when
 *   the backend knows better than the client's spelling (e.g. the LDAP uid).
 * - deny: the backend knows this user and the password is wrong; the chain stops with 401.
 * - no_match: not this backend's user; the chain asks the next one.
 * Infrastructure failure (timeout, bad output, directory down) is a thrown error, never a deny:
 * the chain then stops and the client gets 503, so an outage never looks like a bad password.
 */
export type AuthResult = AllowResult | DenyResult | { readonly kind: 'no_match' };

export interface DenyResult {
  readonly kind: 'deny';
  /** Why, for the audit line only (e.g. "token expired"); never the credential, never shown to the client. */
  readonly reason?: string;
}

export interface AllowResult {
  readonly kind: 'allow';
  readonly labels: Labels;
  readonly account?: string;
  /**
   * Opaque fingerprint of the credential the backend holds for the account (never the credential
   * itself: it travels in refresh tokens). Given by authenticate and lookup alike; a refresh is
   * refused when they differ, so changing a password revokes the refresh tokens issued for the
   * old one (docs/security.md rule 20).
   */
  readonly credential?: string;
  /**
   * Milliseconds since the epoch when the credential itself stops being valid (an id token's
   * exp): a cached login never outlives it.
   */
  readonly validUntil?: number;
  /**
   * How a refresh token for this identity is checked later. Absent: the provider's `lookup`
   * re-asks about the account. `never`: no refresh token is issued. `carry-labels`: the identity
   * cannot be looked up again (a CI job's id token), so the refresh token carries the labels,
   * signed, and never outlives `validUntil`.
   */
  readonly refresh?: 'never' | 'carry-labels';
}

export interface Provider {
  readonly name: string;
  authenticate(user: string, password: Secret, ctx: RequestContext): Promise<AuthResult>;
  /**
   * Refresh-token support: does the account still exist, and what are its labels now?
   * 'unknown' means this backend cannot tell (refresh for its users is then refused unless
   * the operator opts in). Providers without a way to look users up omit the method.
   */
  lookup?(account: string, ctx: RequestContext): Promise<AuthResult | { readonly kind: 'unknown' }>;
  close?(): Promise<void>;
}

/** What a provider factory may need besides its own config; `name` also goes into refresh tokens. */
export interface ProviderBuildContext extends BackendBuildContext {
  /**
   * The one bound on password hashing for the whole config (server.password_hashing): every
   * bcrypt compare of every static provider, real or dummy, runs in one of its slots.
   */
  readonly passwordHashing: ConcurrencyLimiter;
}
