import type { RequestContext } from '../../common/request-context.js';
import { CallbackError } from './callback-error.js';
import { createCallbackClient } from './callback-client.js';
import { parseActionsAnswer } from '../../authz/actions-answer.js';
import type { Authorizer, AuthorizerBuildContext, AuthzDecision, ScopeRequest } from '../../authz/authorizer.js';
import type { HttpAuthorizerConfig } from './http-authorizer.schema.js';

/**
 * Asks an HTTP service about one requested scope: POST
 * `{account, type, name, service, ip, actions, labels}`, answer `{"actions": [...]}` (the granted
 * subset; [] denies).
 */
export async function createHttpAuthorizer(config: HttpAuthorizerConfig, ctx: AuthorizerBuildContext): Promise<Authorizer> {
  const client = createCallbackClient(config, ctx);
  return {
    name: ctx.name,
    async authorize(req: ScopeRequest, reqCtx: RequestContext): Promise<AuthzDecision> {
      const { account, type, name, service, ip, actions, labels } = req;
      const answer = await client.post(JSON.stringify({ account, type, name, service, ip, actions, labels }), reqCtx.signal);
      const granted = parseActionsAnswer(answer);
      if (!granted) throw new CallbackError('bad_response', client.endpoint, 'answer is not {"actions": [...]}');
      return { kind: 'decided', actions: granted };
    },
    close: () => client.close(),
  };
}
