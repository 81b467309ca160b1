import type { RequestContext } from '../../common/request-context.js';
import { PluginError } from './plugin-error.js';
import { instantiatePlugin } from './plugin-loader.js';
import { parseActionsAnswer } from '../../authz/actions-answer.js';
import type { Authorizer, AuthorizerBuildContext, AuthzDecision, ScopeRequest } from '../../authz/authorizer.js';
import type { PluginAuthorizerConfig } from './plugin-authorizer.schema.js';

/**
 * An authorizer written in JS: the module's `createAuthorizer(options, context)` returns an
 * object with `authorize(request, ctx)` resolving to `{kind: 'decided', actions}` or
 * `{kind: 'no_match'}`.
 */
export async function createPluginAuthorizer(config: PluginAuthorizerConfig, ctx: AuthorizerBuildContext): Promise<Authorizer> {
  const spec = config.module;
  const { instance, call, close } = await instantiatePlugin(config, ctx, 'createAuthorizer', 'authorize', 'an authorize(request, ctx)');
  return {
    name: ctx.name,
    async authorize(req: ScopeRequest, reqCtx: RequestContext): Promise<AuthzDecision> {
      const result = await call(reqCtx.signal, async (signal) => instance.authorize(req, { ...reqCtx, signal }));
      const kind = (result as { kind?: unknown } | null)?.kind;
      if (kind === 'no_match') return { kind };
      const actions = kind === 'decided' ? parseActionsAnswer(result) : undefined;
      if (!actions) throw new PluginError('bad_result', spec, 'authorize() must resolve to {kind: "decided", actions: [...]} or {kind: "no_match"}');
      return { kind: 'decided', actions };
    },
    ...(close ? { close } : {}),
  };
}
