import { EMPTY_LABELS, toLabels } from '../common/labels.js';
import { Secret } from '../common/secret.js';
import { authenticate, ProviderFailure } from './authn-chain.js';
import type { AuthResult, Provider } from './provider.js';
import type { RequestContext } from '../common/request-context.js';

const ctx: RequestContext = { requestId: 'r1', ip: null, service: 's', signal: new AbortController().signal };

/** A real Provider implementation with a fixed answer, recording whether it was asked. */
function fixedProvider(name: string, answer: AuthResult | Error): Provider & { calls: number } {
  const p = {
    name,
    calls: 0,
    async authenticate(): Promise<AuthResult> {
      p.calls++;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return p;
}

describe('authenticate (chain)', () => {
  it('stops at the first allow and reports which provider allowed', async () => {
    const second = fixedProvider('b', { kind: 'allow', labels: EMPTY_LABELS });
    const sut = [fixedProvider('a', { kind: 'allow', labels: toLabels({ g: ['x'] }) }), second];
    expect(await authenticate(sut, 'alice', new Secret('pw'), ctx)).toEqual({ kind: 'allow', provider: 'a', account: 'alice', labels: { g: ['x'] } });
    expect(second.calls).toBe(0);
  });

  it('moves past no_match to the next provider', async () => {
    const sut = [fixedProvider('a', { kind: 'no_match' }), fixedProvider('b', { kind: 'allow', labels: EMPTY_LABELS, account: 'Alice' })];
    expect(await authenticate(sut, 'alice', new Secret('pw'), ctx)).toMatchObject({ kind: 'allow', provider: 'b', account: 'Alice' });
  });

  it('stops at a deny without asking later providers', async () => {
    const later = fixedProvider('b', { kind: 'allow', labels: EMPTY_LABELS });
    expect(await authenticate([fixedProvider('a', { kind: 'deny' }), later], 'alice', new Secret('pw'), ctx)).toEqual({ kind: 'deny', provider: 'a' });
    expect(later.calls).toBe(0);
  });

  it('answers no_match when no provider knows the user', async () => {
    expect(await authenticate([fixedProvider('a', { kind: 'no_match' })], 'x', new Secret('pw'), ctx)).toEqual({ kind: 'no_match' });
  });

  it('fails closed: an error stops the chain instead of skipping to the next provider', async () => {
    const later = fixedProvider('b', { kind: 'allow', labels: EMPTY_LABELS });
    await expect(authenticate([fixedProvider('a', new Error('ldap down')), later], 'x', new Secret('pw'), ctx)).rejects.toBeInstanceOf(ProviderFailure);
    expect(later.calls).toBe(0);
  });

  it("masks the password out of a failing provider's message", async () => {
    const leaky = fixedProvider('leaky', new Error('backend refused alice/Hunter2-secret'));
    const failure = await authenticate([leaky], 'alice', new Secret('Hunter2-secret'), ctx).catch((e: unknown) => e);
    expect((failure as Error).message).toBe('provider leaky failed: backend refused alice/***');
  });

  it('does not start a provider once the request deadline has passed', async () => {
    const controller = new AbortController();
    controller.abort();
    const p = fixedProvider('a', { kind: 'allow', labels: EMPTY_LABELS });
    await expect(authenticate([p], 'x', new Secret('pw'), { ...ctx, signal: controller.signal })).rejects.toBeInstanceOf(ProviderFailure);
    expect(p.calls).toBe(0);
  });
});
