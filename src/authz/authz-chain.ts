import { authorize as aclAuthorize, type CompiledAcl } from '../acl/index.js';
import { secondsSince, type RequestContext } from '../common/request-context.js';
import { performance } from 'node:perf_hooks';
import { beforeDeadline } from '../common/deadline.js';
import type { Authorizer, ScopeRequest } from './authorizer.js';

/** What the chain decided for one scope and who decided it (`null`: nobody, nothing granted). */
export interface ScopeGrant {
  readonly actions: readonly string[];
  /** `acl[<index>]` for the ACL entry that decided, or the name of the authorizer. */
  readonly decidedBy: string | null;
  /** The deciding ACL entry's `comment`, when it has one. */
  readonly comment?: string;
}

/** An authorizer failed (timeout, bad output, overload). The message is for logs, never for clients. */
export class AuthorizerFailure extends Error {
  constructor(
    readonly authorizer: string,
    override readonly cause: unknown,
  ) {
    super(`authorizer ${authorizer} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'AuthorizerFailure';
  }
}

/**
 * docker_auth's order: the ACL first, then the configured authorizers; the first decision wins
 * (an empty list is a decision); if nobody decides, nothing is granted. A failing authorizer stops
 * the chain like a failing provider: skipping it could let a later one grant what it would deny.
 */
export async function authorizeScope(acl: CompiledAcl, authorizers: readonly Authorizer[], req: ScopeRequest, ctx: RequestContext): Promise<ScopeGrant> {
  const fromAcl = aclAuthorize(acl, req);
  if (fromAcl.kind === 'decided') {
    return { actions: fromAcl.actions, decidedBy: `acl[${fromAcl.rule}]`, ...(fromAcl.comment === undefined ? {} : { comment: fromAcl.comment }) };
  }
  for (const authorizer of authorizers) {
    let decision;
    const started = performance.now();
    try {
      ctx.signal.throwIfAborted();
      decision = await beforeDeadline(authorizer.authorize(req, ctx), ctx.signal);
    } catch (err) {
      ctx.trace?.call('authorizer', authorizer.name, 'error', secondsSince(started));
      throw new AuthorizerFailure(authorizer.name, err);
    }
    ctx.trace?.call('authorizer', authorizer.name, decision.kind, secondsSince(started));
    if (decision.kind === 'decided') return { actions: onlyRequested(decision.actions, req.actions), decidedBy: authorizer.name };
  }
  return { actions: [], decidedBy: null };
}

/** Backends answer from outside: whatever they return, the grant is a subset of the request. */
function onlyRequested(granted: readonly string[], requested: readonly string[]): readonly string[] {
  const set = new Set(granted);
  return requested.filter((a) => set.has(a));
}
