import { Inject, Injectable } from '@nestjs/common';
import { LoginThrottle } from '../authn/login-throttle.js';
import { authenticate, lookup, ProviderFailure } from '../authn/authn-chain.js';
import { AuthorizerFailure, authorizeScope } from '../authz/authz-chain.js';
import { hasJwtShape } from '../common/jwt-shape.js';
import { EMPTY_LABELS, type Labels } from '../common/labels.js';
import type { RequestContext } from '../common/request-context.js';
import { Secret } from '../common/secret.js';
import type { Snapshot } from '../config/snapshot.js';
import { RefreshRevocations, RevocationsUnreadable } from '../store/refresh-revocations.js';
import { buildAccessClaims, newJti, tokenResponse, type AccessEntry } from '../token/index.js';
import type { RequestedScope, TokenRequest } from './token-request.types.js';

export interface Identity {
  readonly account: string; // "" for anonymous
  readonly provider: string | null;
  readonly labels: Labels;
  /** The provider's credential fingerprint, bound into refresh tokens. */
  readonly credential?: string;
  /** When the credential ends, and how a refresh token for it is checked (AllowResult). */
  readonly validUntil?: number;
  readonly refresh?: 'never' | 'carry-labels';
}

export interface ScopeDecision {
  readonly scope: string;
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  /** null: no ACL entry matched and no authorizer decided, so nothing was granted. */
  readonly by: string | null;
  readonly rule?: string;
}

/** What the audit line records about one request, whatever its outcome. */
export interface GrantAudit {
  account?: string;
  provider?: string | null;
  /** The authorizer that failed, on a backend_error during authorization. */
  authorizer?: string;
  /** `abandoned`: the client hung up first; its work was stopped and nothing was answered. */
  outcome: 'granted' | 'denied' | 'throttled' | 'bad_request' | 'backend_error' | 'abandoned';
  requested?: string[];
  granted?: string[];
  /** Invalid scopes and unknown actions, with the reason they were granted nothing. */
  ignored?: string[];
  /** Per valid scope: what was asked, what was granted, and who decided (`acl[i]` and its comment, or an authorizer). */
  decisions?: ScopeDecision[];
  /** The grant came from a refresh token. */
  refresh?: boolean;
  jti?: string;
  reason?: string;
}

/**
 * Why a grant was refused, as a domain code: src/http/refusal-table.ts alone decides the status,
 * body and headers each one gets. `message` is safe to show the client; codes whose answer must
 * not depend on the cause (unauthorized, backend_unavailable) have a fixed text there instead.
 */
export type GrantRefusalCode = 'service_required' | 'unknown_service' | 'unauthorized' | 'throttled' | 'backend_unavailable';

export interface GrantRefusal {
  readonly code: GrantRefusalCode;
  readonly message?: string;
  /** Seconds until a retry can succeed, when the refusal knows better than the table's default. */
  readonly retryAfter?: number;
}

export type GrantOutcome =
  | { readonly ok: true; readonly body: Record<string, unknown>; readonly audit: GrantAudit }
  | { readonly ok: false; readonly refusal: GrantRefusal; readonly audit: GrantAudit };

/**
 * The request path after parsing: pick the service, establish the identity (credentials,
 * refresh token or anonymous), evaluate each scope, sign. Stateless: everything comes from the
 * snapshot the caller read at the start of the request.
 */
@Injectable()
export class TokenGrantService {
  constructor(
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
    @Inject(RefreshRevocations) private readonly revocations: RefreshRevocations,
  ) {}

  async grant(snapshot: Snapshot, req: TokenRequest, ctx: RequestContext, now = Date.now()): Promise<GrantOutcome> {
    const service = pickService(snapshot, req.service);
    if (typeof service !== 'string') return { ok: false, refusal: service, audit: { outcome: 'bad_request', reason: service.message } };
    const context: RequestContext = { ...ctx, service };
    // Only password logins are throttled: anonymous requests carry nothing to guess, and a
    // refresh token is a signed value no one can guess either.
    const throttled = req.grant === 'password' ? { config: snapshot.config.throttle, account: throttledAccount(snapshot, req) } : null;
    let accountCounted = false;
    if (throttled) {
      const verdict = await this.throttle.check(throttled.config, ctx.ip, throttled.account);
      if (!verdict.allowed) {
        return {
          ok: false,
          refusal: { code: 'throttled', retryAfter: verdict.retryAfterSeconds },
          audit: { outcome: 'throttled', account: req.user, reason: 'too many failed logins from this address or for this account' },
        };
      }
      accountCounted = verdict.accountCounted;
    }

    let identity: Identity | Denial;
    try {
      identity = await establishIdentity(snapshot, this.revocations, req, context, now);
    } catch (err) {
      if (err instanceof ProviderFailure) {
        return { ok: false, refusal: UNAVAILABLE, audit: { outcome: 'backend_error', provider: err.provider, reason: err.message } };
      }
      if (err instanceof RevocationsUnreadable) {
        return { ok: false, refusal: UNAVAILABLE, audit: { outcome: 'backend_error', refresh: true, reason: err.message } };
      }
      throw err;
    }
    if (throttled) {
      // Backend errors (503, above) never count: an outage must not lock users out.
      if ('denied' in identity) await this.throttle.failure(throttled.config, ctx.ip, throttled.account);
      // Clearing an account that had no failures would cost a store round trip on every login.
      else if (accountCounted) await this.throttle.success(throttled.config, throttled.account!);
    }
    if ('denied' in identity) {
      return { ok: false, refusal: UNAUTHORIZED, audit: { outcome: 'denied', account: identity.account ?? req.user ?? '', reason: identity.reason } };
    }

    const access: AccessEntry[] = [];
    const decisions: ScopeDecision[] = [];
    try {
      for (const scope of req.scopes) {
        const { entry, decision } = await grantScope(snapshot, scope, identity, context);
        access.push(entry);
        if (decision) decisions.push(decision);
      }
    } catch (err) {
      if (err instanceof AuthorizerFailure) {
        return {
          ok: false,
          refusal: UNAVAILABLE,
          audit: { outcome: 'backend_error', account: identity.account, provider: identity.provider, authorizer: err.authorizer, reason: err.message },
        };
      }
      throw err;
    }
    // Entries that grant nothing are left out (docs/protocol.md item 30 allows it): they would only make
    // the token bigger, and invalid scopes could otherwise copy long junk names into it.
    const granted = access.filter((a) => a.actions.length > 0);
    const jti = newJti();
    const claims = buildAccessClaims({
      issuer: snapshot.config.token.issuer,
      subject: identity.account,
      audience: service,
      access: granted,
      now,
      ttlSeconds: snapshot.config.token.expiration,
      jti,
    });
    const body: Record<string, unknown> = { ...tokenResponse(await snapshot.signer.sign(claims), claims) };
    if (req.offline && req.grant === 'password' && snapshot.refresh && identity.provider && identity.refresh !== 'never') {
      const refreshToken = snapshot.refresh.issue({
        subject: identity.account,
        service,
        provider: identity.provider,
        credential: identity.credential,
        now,
        ...(identity.refresh === 'carry-labels' ? { labels: identity.labels, notAfter: identity.validUntil } : {}),
      });
      // null: nothing worth issuing (it would expire at once, or carry too many labels).
      if (refreshToken) body.refresh_token = refreshToken;
    }
    return {
      ok: true,
      body,
      audit: {
        outcome: 'granted',
        account: identity.account,
        provider: identity.provider,
        requested: req.scopes.flatMap((s) => s.raw),
        granted: granted.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`),
        ...ignoredScopes(req.scopes),
        ...(decisions.length > 0 ? { decisions } : {}),
        ...(req.grant === 'refresh_token' ? { refresh: true } : {}),
        jti,
      },
    };
  }
}

const UNAUTHORIZED: GrantRefusal = { code: 'unauthorized' };
const UNAVAILABLE: GrantRefusal = { code: 'backend_unavailable' };

function pickService(snapshot: Snapshot, requested: string | undefined): string | GrantRefusal {
  const allowed = snapshot.config.services;
  if (allowed.length === 0) {
    // A token for audience "" is refused by every registry; say so now rather than let the
    // client fail later with an opaque 401 from the registry.
    return requested ?? { code: 'service_required', message: "service is required (the registry's auth.token.service)" };
  }
  if (requested === undefined) {
    if (allowed.length === 1) return allowed[0];
    return { code: 'service_required', message: `service is required (one of: ${allowed.join(', ')})` };
  }
  return allowed.includes(requested) ? requested : { code: 'unknown_service', message: `unknown service "${requested}"` };
}

/** Why a request was refused with 401: for the audit line only, never for the client. */
interface Denial {
  readonly denied: true;
  readonly reason: string;
  readonly account?: string;
}

const deny = (reason: string, account?: string): Denial => ({ denied: true, reason, account });

async function establishIdentity(
  snapshot: Snapshot,
  revocations: RefreshRevocations,
  req: TokenRequest,
  ctx: RequestContext,
  now: number,
): Promise<Identity | Denial> {
  if (req.grant === 'refresh_token') return refreshIdentity(snapshot, revocations, req.refreshToken!, ctx, now);
  if (req.grant === 'anonymous') {
    // A credential-less "login" (no scope) must never succeed: docker and podman would report it.
    if (req.scopes.length === 0) return deny('anonymous request without scope');
    const result = await authenticate(snapshot.providers, '', new Secret(''), ctx);
    return result.kind === 'allow' ? { account: '', provider: null, labels: result.labels } : deny('anonymous access is not configured');
  }
  const result = await authenticate(snapshot.providers, req.user!, req.password!, ctx);
  if (result.kind === 'allow') {
    const { account, provider, labels, credential, validUntil, refresh } = result;
    return { account, provider, labels, credential, validUntil, refresh };
  }
  if (result.kind === 'no_match') return deny('no provider knows this user');
  return deny(result.reason ? `provider ${result.provider}: ${result.reason}` : `wrong password (provider ${result.provider})`);
}

/**
 * A refresh grant re-asks the issuing provider whether the account still exists, with the same
 * credential, and what its labels are now, so removing a user or a group or changing a password
 * takes effect at the next refresh. Before that, `regauth revoke`'s records in the shared store:
 * a token that fails its signature never costs a store read, and one the store cannot vouch for
 * is refused with 503 (RevocationsUnreadable).
 */
async function refreshIdentity(
  snapshot: Snapshot,
  revocations: RefreshRevocations,
  token: Secret,
  ctx: RequestContext,
  now: number,
): Promise<Identity | Denial> {
  if (!snapshot.refresh) return deny('refresh tokens are not enabled (token.refresh)');
  const verified = snapshot.refresh.verify(token.reveal(), { service: ctx.service, now });
  if (!verified.ok) return deny(`refresh token refused: ${verified.reason}`);
  if (await revocations.isRevoked(verified.subject, verified.issuedAt, now)) return deny('refresh token refused: revoked (regauth revoke)', verified.subject);
  if (verified.labels) {
    // An identity no provider can look up again (a CI job's id token): the token carries its
    // labels, signed, and expires with the id token. Its provider must still be configured.
    if (!snapshot.providers.some((p) => p.name === verified.provider)) return deny(`provider ${verified.provider} is no longer configured`, verified.subject);
    return { account: verified.subject, provider: verified.provider, labels: verified.labels, refresh: 'carry-labels' };
  }
  const result = await lookup(snapshot.providers, verified.provider, verified.subject, ctx);
  if (result.kind === 'allow') {
    // Both absent (a provider without fingerprints) or equal; anything else means the password
    // changed, or the token predates fingerprints for a provider that has them: refuse.
    if (result.credential !== verified.credential) return deny('the credential changed since the refresh token was issued', verified.subject);
    return { account: result.account, provider: result.provider, labels: result.labels, credential: result.credential };
  }
  if (result.kind === 'unknown') {
    if (snapshot.config.token.refresh?.allow_unverifiable) return { account: verified.subject, provider: verified.provider, labels: EMPTY_LABELS };
    return deny(`provider ${verified.provider} cannot look accounts up (token.refresh.allow_unverifiable is off)`, verified.subject);
  }
  return deny(`account no longer known to provider ${verified.provider}`, verified.subject);
}

/** Scopes that were asked for but could not count, with why: for the audit line. */
function ignoredScopes(scopes: readonly RequestedScope[]): { ignored?: string[] } {
  const ignored = scopes.flatMap((s) => [
    ...(s.valid ? [] : [`${s.raw.join(' ')}: ${s.invalidReason ?? 'invalid'}`]),
    ...(s.unknownActions.length > 0 ? [`${s.type}:${s.name}: unknown actions ${s.unknownActions.join(',')}`] : []),
  ]);
  return ignored.length > 0 ? { ignored } : {};
}

async function grantScope(
  snapshot: Snapshot,
  scope: RequestedScope,
  identity: Identity,
  ctx: RequestContext,
): Promise<{ entry: AccessEntry; decision?: ScopeDecision }> {
  if (!scope.valid) return { entry: { type: scope.type, name: scope.name, actions: [] } };
  const grant = await authorizeScope(
    snapshot.acl,
    snapshot.authorizers,
    {
      account: identity.account,
      type: scope.type,
      name: scope.name,
      service: ctx.service,
      ip: ctx.ip,
      labels: identity.labels,
      actions: scope.actions,
    },
    ctx,
  );
  return {
    entry: { type: scope.type, name: scope.name, actions: [...grant.actions] },
    decision: {
      scope: `${scope.type}:${scope.name}`,
      requested: scope.actions,
      granted: grant.actions,
      by: grant.decidedBy,
      ...(grant.comment === undefined ? {} : { rule: grant.comment }),
    },
  };
}

/**
 * The account a password login's failures count against, or null for an OIDC id token: every CI
 * job logs in under the same user name (`-u oidc`), so counting that name would let anyone
 * lock out the whole fleet with a few made-up tokens, and a signature cannot be guessed anyway.
 * Such logins are still counted per address (docs/security.md rule 7).
 */
function throttledAccount(snapshot: Snapshot, req: TokenRequest): string | null {
  const takesIdToken = snapshot.config.authn.some((p) => p.type === 'oidc' && (p.user === undefined || p.user === req.user));
  const idToken = takesIdToken && req.password !== undefined && hasJwtShape(req.password.reveal());
  return idToken ? null : req.user!.toLowerCase();
}
