import { CallbackError } from '../../src/backends/http/callback-error.js';
import { authorizerContext } from '../support/provider-context.js';
import type { ScopeRequest } from '../../src/authz/authorizer.js';
import { httpAuthorizerSchema } from '../../src/backends/http/http-authorizer.schema.js';
import { createHttpAuthorizer } from '../../src/backends/http/http.authorizer.js';
import { pushPullRequest } from '../../src/authz/scope-request.fixture.js';
import { answerJson, redirectTo } from '../support/callback-server.js';
import { rejection } from '../support/settled.js';
import { ctx, useCallbackServer } from './http-callback.fixture.js';

/** The HTTP callback authorizer against a real server on loopback. */

const callback = useCallbackServer();

describe('http authorizer', () => {
  const request: ScopeRequest = { ...pushPullRequest, ip: null };
  const buildAuthorizer = async (config: Record<string, unknown> = {}) => {
    const sut = await createHttpAuthorizer(
      httpAuthorizerSchema.parse({ type: 'http', url: `${callback.server.url}/authz`, ...config }),
      authorizerContext(callback.dir, 'authz-cb'),
    );
    callback.built.push(sut);
    return sut;
  };

  it('POSTs the scope request and grants the actions the service answers', async () => {
    callback.server.on('/authz', answerJson(200, { actions: ['pull'] }));
    const sut = await buildAuthorizer();
    expect(await sut.authorize(request, ctx())).toEqual({ kind: 'decided', actions: ['pull'] });
    expect(JSON.parse(callback.server.requests.at(-1)!.body)).toEqual({
      account: 'alice',
      type: 'repository',
      name: 'team/app',
      service: 'registry',
      ip: null,
      actions: ['pull', 'push'],
      labels: { group: ['dev'] },
    });
  });

  it('treats an empty list as a decision to grant nothing', async () => {
    callback.server.on('/authz', answerJson(200, { actions: [] }));
    expect(await (await buildAuthorizer()).authorize(request, ctx())).toEqual({ kind: 'decided', actions: [] });
  });

  it.each([
    ['an answer without actions', answerJson(200, { result: 'allow' })],
    ['a 500', answerJson(500, { actions: ['pull'] })],
    ['a redirect', redirectTo('/authn')],
  ])('fails on %s', async (_what, behaviour) => {
    callback.server.on('/authz', behaviour);
    expect(await rejection((await buildAuthorizer()).authorize(request, ctx()))).toBeInstanceOf(CallbackError);
  });
});
