import type { BackendBuildContext } from '../common/build-context.js';
import type { AclRequest } from '../acl/acl.types.js';
import type { RequestContext } from '../common/request-context.js';

/**
 * One authorization backend asked about one requested resource (docker_auth's ext_authz runs
 * once per scope). The ACL is the first authorizer; configured ones follow in order.
 * - decided: the granted actions, a subset of the requested ones ([] is a decision: deny).
 * - no_match: no opinion; the next authorizer is asked; if none decides, nothing is granted.
 * Infrastructure failure is a thrown error: the request fails closed with 503.
 */
export type AuthzDecision = { readonly kind: 'decided'; readonly actions: readonly string[] } | { readonly kind: 'no_match' };

/** What an authorizer sees: the requested resource, the identity and where it comes from. */
export type ScopeRequest = AclRequest;

export interface Authorizer {
  readonly name: string;
  authorize(req: ScopeRequest, ctx: RequestContext): Promise<AuthzDecision>;
  close?(): Promise<void>;
}

/** What an authorizer factory may need besides its own config. */
export type AuthorizerBuildContext = BackendBuildContext;
