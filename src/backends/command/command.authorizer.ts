import type { RequestContext } from '../../common/request-context.js';
import { CommandError } from './command-error.js';
import { createCommandRunner } from './command-runner.js';
import { describeExit, maskedStderr } from './exit-report.js';
import { parseActionsAnswer } from '../../authz/actions-answer.js';
import type { Authorizer, AuthorizerBuildContext, AuthzDecision, ScopeRequest } from '../../authz/authorizer.js';
import type { CommandAuthorizerConfig } from './command-authorizer.schema.js';
import { extAuthzInput } from './ext-authz-request.js';

/**
 * docker_auth's `ext_authz`: one run per requested scope, the request as JSON on stdin. Exit 0
 * grants what was requested — or, our extension, the subset named by `{"actions": [...]}` on
 * stdout; exit 1 grants nothing (a decision); anything else fails the request closed.
 */
export async function createCommandAuthorizer(config: CommandAuthorizerConfig, ctx: AuthorizerBuildContext): Promise<Authorizer> {
  const runner = createCommandRunner(config, ctx);
  return {
    name: ctx.name,
    async authorize(req: ScopeRequest, reqCtx: RequestContext): Promise<AuthzDecision> {
      const result = await runner.run(extAuthzInput(req), reqCtx.signal);
      if (result.exitCode === 1) return { kind: 'decided', actions: [] };
      if (result.exitCode !== 0) throw new CommandError('bad_exit', runner.shown, `${describeExit(result)}${maskedStderr(result.stderr)}`);
      const text = result.stdout.toString('utf8').trim();
      if (config.stdout === 'ignore' || text === '') return { kind: 'decided', actions: req.actions };
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        throw new CommandError('bad_output', runner.shown, `exit 0 with stdout that is not JSON (${result.stdout.length} bytes)`);
      }
      const actions = parseActionsAnswer(answer);
      if (!actions) throw new CommandError('bad_output', runner.shown, 'exit 0 with stdout that is not {"actions": [...]}');
      return { kind: 'decided', actions };
    },
    close: () => runner.close(),
  };
}
