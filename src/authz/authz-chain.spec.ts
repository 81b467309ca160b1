import { compileAcl, type AclRuleConfig, type CompiledAcl } from '../acl/index.js';
import type { RequestContext } from '../common/request-context.js';
import { toLabels } from '../common/labels.js';
import type { Authorizer, AuthzDecision, ScopeRequest } from './authorizer.js';
import { AuthorizerFailure, authorizeScope } from './authz-chain.js';

const ctx = (signal = new AbortController().signal): RequestContext => ({ requestId: 'r', ip: '10.0.0.1', service: 'registry', signal });
const pushPull: ScopeRequest = {
  account: 'alice',
  type: 'repository',
  name: 'team/app',
  service: 'registry',
  ip: '10.0.0.1',
  labels: toLabels({}),
  actions: ['pull', 'push'],
};

const acl = (...rules: AclRuleConfig[]): CompiledAcl => compileAcl(rules).acl;
const noAcl = acl();

/** An authorizer with a fixed answer or failure, recording whether it was asked: the contract, not a stand-in. */
const answering = (name: string, answer: AuthzDecision | Error): Authorizer & { asked: number } => ({
  name,
  asked: 0,
  async authorize() {
    this.asked++;
    if (answer instanceof Error) throw answer;
    return answer;
  },
});
const decided = (...actions: string[]): AuthzDecision => ({ kind: 'decided', actions });
const noMatch: AuthzDecision = { kind: 'no_match' };

describe(authorizeScope.name, () => {
  it('lets the ACL decide first without asking any authorizer', async () => {
    const later = answering('ext', decided('pull', 'push'));
    const sut = await authorizeScope(acl({ match: { account: 'alice' }, actions: ['pull'] }), [later], pushPull, ctx());
    expect(sut).toEqual({ actions: ['pull'], decidedBy: 'acl[0]' });
    expect(later.asked).toBe(0);
  });

  it('names the deciding ACL entry by index and carries its comment', async () => {
    const rules = compileAcl([
      { match: { account: 'bob' }, actions: ['*'] },
      { match: { account: 'alice' }, actions: [], comment: 'alice is suspended' },
    ]).acl;
    expect(await authorizeScope(rules, [], pushPull, ctx())).toEqual({ actions: [], decidedBy: 'acl[1]', comment: 'alice is suspended' });
  });

  it('treats an ACL entry with no actions as a decision that stops the chain', async () => {
    const later = answering('ext', decided('pull'));
    const sut = await authorizeScope(acl({ match: {}, actions: [] }), [later], pushPull, ctx());
    expect(sut).toEqual({ actions: [], decidedBy: 'acl[0]' });
    expect(later.asked).toBe(0);
  });

  it('asks the authorizers in order when the ACL does not decide; the first decision wins', async () => {
    const first = answering('first', noMatch);
    const second = answering('second', decided('pull'));
    const third = answering('third', decided('pull', 'push'));
    const sut = await authorizeScope(noAcl, [first, second, third], pushPull, ctx());
    expect(sut).toEqual({ actions: ['pull'], decidedBy: 'second' });
    expect([first.asked, second.asked, third.asked]).toEqual([1, 1, 0]);
  });

  it('treats an empty list from an authorizer as a decision', async () => {
    const later = answering('later', decided('pull'));
    const sut = await authorizeScope(noAcl, [answering('denier', decided()), later], pushPull, ctx());
    expect(sut).toEqual({ actions: [], decidedBy: 'denier' });
    expect(later.asked).toBe(0);
  });

  it('grants nothing when nobody decides', async () => {
    expect(await authorizeScope(noAcl, [answering('a', noMatch)], pushPull, ctx())).toEqual({ actions: [], decidedBy: null });
    expect(await authorizeScope(noAcl, [], pushPull, ctx())).toEqual({ actions: [], decidedBy: null });
  });

  it('never grants more than was requested, whatever an authorizer answers', async () => {
    const pullOnly = { ...pushPull, actions: ['pull'] };
    const sut = await authorizeScope(noAcl, [answering('greedy', decided('push', 'delete', '*', 'pull', 'admin'))], pullOnly, ctx());
    expect(sut.actions).toEqual(['pull']);
  });

  it('fails closed with the name of an authorizer that throws, without asking later ones', async () => {
    const later = answering('later', decided('pull'));
    const err = await authorizeScope(noAcl, [answering('broken', new Error('exit 3')), later], pushPull, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthorizerFailure);
    expect((err as AuthorizerFailure).authorizer).toBe('broken');
    expect(later.asked).toBe(0);
  });

  it('fails without asking an authorizer once the request deadline has passed', async () => {
    const request = new AbortController();
    request.abort();
    const ext = answering('ext', decided('pull'));
    await expect(authorizeScope(noAcl, [ext], pushPull, ctx(request.signal))).rejects.toBeInstanceOf(AuthorizerFailure);
    expect(ext.asked).toBe(0);
  });
});
