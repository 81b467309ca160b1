import type { RequestContext } from '../../authn/provider.js';
import type { AuthorizerFactory } from '../../authn/plugin/plugin.contract.js';
import { PluginError } from '../../authn/plugin/plugin-error.js';
import { createPluginCaller } from '../../authn/plugin/plugin-call.js';
import { importPlugin, pickFactory } from '../../authn/plugin/plugin-loader.js';
import { hasFunction } from '../../authn/plugin/plugin.provider.js';
import { parseActionsAnswer } from '../actions-answer.js';
import type { Authorizer, AuthorizerBuildContext, AuthzDecision, ScopeRequest } from '../authorizer.js';
import type { PluginAuthorizerConfig } from './plugin-authorizer.schema.js';

/**
 * An authorizer written in JS: the module's `createAuthorizer(options, context)` returns an
 * object with `authorize(request, ctx)` resolving to `{kind: 'decided', actions}` or
 * `{kind: 'no_match'}`.
 */
export async function createPluginAuthorizer(config: PluginAuthorizerConfig, ctx: AuthorizerBuildContext): Promise<Authorizer> {
  const spec = config.module;
  const factory = pickFactory<AuthorizerFactory>(await importPlugin(spec, ctx.baseDir), 'createAuthorizer', spec);
  const instance: unknown = await factory({ ...config.options }, { name: ctx.name, baseDir: ctx.baseDir });
  if (!hasFunction(instance, 'authorize')) {
    throw new PluginError('bad_shape', spec, 'createAuthorizer() must return an object with an authorize(request, ctx) method');
  }
  const callPlugin = createPluginCaller(spec, config);
  const close = hasFunction(instance, 'close') ? instance.close.bind(instance) : undefined;
  return {
    name: ctx.name,
    async authorize(req: ScopeRequest, reqCtx: RequestContext): Promise<AuthzDecision> {
      const result = await callPlugin(reqCtx.signal, async (signal) => instance.authorize(req, { ...reqCtx, signal }));
      const kind = (result as { kind?: unknown } | null)?.kind;
      if (kind === 'no_match') return { kind };
      const actions = kind === 'decided' ? parseActionsAnswer(result) : undefined;
      if (!actions) throw new PluginError('bad_result', spec, 'authorize() must resolve to {kind: "decided", actions: [...]} or {kind: "no_match"}');
      return { kind: 'decided', actions };
    },
    ...(close ? { close: async () => void (await close()) } : {}),
  };
}
