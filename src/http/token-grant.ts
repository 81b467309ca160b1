import { authenticate, lookup, ProviderFailure } from '../authn/authn-chain.js';
import type { RequestContext } from '../authn/provider.js';
import { AuthorizerFailure, authorizeScope } from '../authz/authz-chain.js';
import { EMPTY_LABELS, type Labels } from '../common/labels.js';
import { Secret } from '../common/secret.js';
import type { Snapshot } from '../config/snapshot.js';
import { buildAccessClaims, newJti, tokenResponse, type AccessEntry } from '../token/index.js';
import { UNAUTHORIZED, UNAVAILABLE, type HttpError } from './http-errors.js';
import type { RequestedScope } from './scope.js';
import type { TokenRequest } from './token-request.js';

export interface Identity {
  readonly account: string; // "" for anonymous
  readonly provider: string | null;
  readonly labels: Labels;
}

/** What the audit line records about one request, whatever its outcome. */
export interface GrantAudit {
  account?: string;
  provider?: string | null;
  /** The authorizer that failed, on a backend_error during authorization. */
  authorizer?: string;
  outcome: 'granted' | 'denied' | 'bad_request' | 'backend_error';
  requested?: string[];
  granted?: string[];
  jti?: string;
  reason?: string;
}

export type GrantOutcome =
  | { readonly ok: true; readonly body: Record<string, unknown>; readonly audit: GrantAudit }
  | { readonly ok: false; readonly error: HttpError; readonly audit: GrantAudit; readonly retryAfter?: number };

/**
 * The request path after parsing: pick the service, establish the identity (credentials,
 * refresh token or anonymous), evaluate each scope, sign. Pure apart from the providers it calls.
 */
export async function grantToken(snapshot: Snapshot, req: TokenRequest, ctx: RequestContext, now = Date.now()): Promise<GrantOutcome> {
  const service = pickService(snapshot, req.service);
  if (typeof service !== 'string') return { ok: false, error: service, audit: { outcome: 'bad_request', reason: service.message } };
  const context: RequestContext = { ...ctx, service };

  let identity: Identity | HttpError;
  try {
    identity = await establishIdentity(snapshot, req, context, now);
  } catch (err) {
    if (err instanceof ProviderFailure) {
      return { ok: false, error: UNAVAILABLE, retryAfter: 5, audit: { outcome: 'backend_error', provider: err.provider, reason: err.message } };
    }
    throw err;
  }
  if ('kind' in identity) {
    return { ok: false, error: identity, audit: { outcome: 'denied', account: req.user ?? '', reason: identity.message } };
  }

  const access: AccessEntry[] = [];
  try {
    for (const scope of req.scopes) access.push(await grantScope(snapshot, scope, identity, context));
  } catch (err) {
    if (err instanceof AuthorizerFailure) {
      return {
        ok: false,
        error: UNAVAILABLE,
        retryAfter: 5,
        audit: { outcome: 'backend_error', account: identity.account, provider: identity.provider, authorizer: err.authorizer, reason: err.message },
      };
    }
    throw err;
  }
  const jti = newJti();
  const claims = buildAccessClaims({
    issuer: snapshot.config.token.issuer,
    subject: identity.account,
    audience: service,
    access,
    now,
    ttlSeconds: snapshot.config.token.expiration,
    jti,
  });
  const body: Record<string, unknown> = { ...tokenResponse(snapshot.signer.sign(claims), claims) };
  if (req.offline && req.grant === 'password' && snapshot.refresh && identity.provider) {
    body.refresh_token = snapshot.refresh.issue({ subject: identity.account, service, provider: identity.provider, now });
  }
  return {
    ok: true,
    body,
    audit: {
      outcome: 'granted',
      account: identity.account,
      provider: identity.provider,
      requested: req.scopes.map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`),
      granted: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`),
      jti,
    },
  };
}

function pickService(snapshot: Snapshot, requested: string | undefined): string | HttpError {
  const allowed = snapshot.config.services;
  if (allowed.length === 0) return requested ?? '';
  if (requested === undefined) {
    if (allowed.length === 1) return allowed[0]!;
    return { kind: 'bad_request', message: `service is required (one of: ${allowed.join(', ')})` };
  }
  return allowed.includes(requested) ? requested : { kind: 'bad_request', message: `unknown service "${requested}"` };
}

async function establishIdentity(snapshot: Snapshot, req: TokenRequest, ctx: RequestContext, now: number): Promise<Identity | HttpError> {
  if (req.grant === 'refresh_token') return refreshIdentity(snapshot, req.refreshToken!, ctx, now);
  if (req.grant === 'anonymous') {
    // A credential-less "login" (no scope) must never succeed: docker and podman would report it.
    if (req.scopes.length === 0) return UNAUTHORIZED;
    const result = await authenticate(snapshot.providers, '', new Secret(''), ctx);
    return result.kind === 'allow' ? { account: '', provider: null, labels: result.labels } : UNAUTHORIZED;
  }
  const result = await authenticate(snapshot.providers, req.user!, req.password!, ctx);
  return result.kind === 'allow' ? { account: result.account, provider: result.provider, labels: result.labels } : UNAUTHORIZED;
}

/**
 * A refresh grant re-asks the issuing provider whether the account still exists and what its
 * labels are now, so removing a user or a group takes effect at the next refresh.
 */
async function refreshIdentity(snapshot: Snapshot, token: Secret, ctx: RequestContext, now: number): Promise<Identity | HttpError> {
  if (!snapshot.refresh) return UNAUTHORIZED;
  const verified = snapshot.refresh.verify(token.reveal(), { service: ctx.service, now });
  if (!verified.ok) return UNAUTHORIZED;
  const result = await lookup(snapshot.providers, verified.provider, verified.subject, ctx);
  if (result.kind === 'allow') return { account: result.account, provider: result.provider, labels: result.labels };
  if (result.kind === 'unknown' && snapshot.config.token.refresh?.allow_unverifiable) {
    return { account: verified.subject, provider: verified.provider, labels: EMPTY_LABELS };
  }
  return UNAUTHORIZED;
}

async function grantScope(snapshot: Snapshot, scope: RequestedScope, identity: Identity, ctx: RequestContext): Promise<AccessEntry> {
  if (!scope.valid) return { type: scope.type, name: scope.name, actions: [] };
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
  return { type: scope.type, name: scope.name, actions: [...grant.actions] };
}
