import { Secret } from '../common/secret.js';
import { EMPTY_LABELS, toLabels } from '../common/labels.js';
import type { RequestContext } from '../common/request-context.js';
import { withCredentialCache } from './credential-cache.js';
import type { AuthResult, Provider } from './provider.js';

const ctx: RequestContext = { requestId: 'r', ip: null, service: 'registry', signal: new AbortController().signal };

/** A provider that answers from a table and counts how often it was asked. */
function counting(answer: (user: string, password: string) => AuthResult): Provider & { calls: number; lookups: number; closed: boolean } {
  const sut = {
    name: 'backend',
    calls: 0,
    lookups: 0,
    closed: false,
    async authenticate(user: string, password: Secret) {
      sut.calls++;
      return answer(user, password.reveal());
    },
    async lookup() {
      sut.lookups++;
      return { kind: 'no_match' as const };
    },
    async close() {
      sut.closed = true;
    },
  };
  return sut;
}

const allowAlice = (user: string, password: string): AuthResult =>
  user === 'alice' && password === 'right' ? { kind: 'allow', labels: toLabels({ g: ['x'] }), credential: 'fp' } : { kind: 'deny' };

describe(withCredentialCache.name, () => {
  it('answers a repeated successful login from the cache, with the same labels and credential', async () => {
    const backend = counting(allowAlice);
    const sut = withCredentialCache(backend, 60_000);
    const first = await sut.authenticate('alice', new Secret('right'), ctx);
    const second = await sut.authenticate('alice', new Secret('right'), ctx);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ kind: 'allow', credential: 'fp' });
    expect(backend.calls).toBe(1);
  });

  it('never caches a denial: every wrong password reaches the backend', async () => {
    const backend = counting(allowAlice);
    const sut = withCredentialCache(backend, 60_000);
    for (let i = 0; i < 3; i++) expect(await sut.authenticate('alice', new Secret('wrong'), ctx)).toEqual({ kind: 'deny' });
    expect(backend.calls).toBe(3);
  });

  it('keys on the password too: a different password is asked again, not answered from the cache', async () => {
    const backend = counting(allowAlice);
    const sut = withCredentialCache(backend, 60_000);
    await sut.authenticate('alice', new Secret('right'), ctx);
    expect(await sut.authenticate('alice', new Secret('right '), ctx)).toEqual({ kind: 'deny' });
    expect(backend.calls).toBe(2);
  });

  it('forgets a login after its time to live', async () => {
    const backend = counting(allowAlice);
    const sut = withCredentialCache(backend, 50);
    await sut.authenticate('alice', new Secret('right'), ctx);
    await new Promise((r) => setTimeout(r, 80));
    await sut.authenticate('alice', new Secret('right'), ctx);
    expect(backend.calls).toBe(2);
  });

  it('does not cache anonymous requests, and is the provider itself when the ttl is 0', async () => {
    const backend = counting(() => ({ kind: 'allow', labels: EMPTY_LABELS }));
    const sut = withCredentialCache(backend, 60_000);
    await sut.authenticate('', new Secret(''), ctx);
    await sut.authenticate('', new Secret(''), ctx);
    expect(backend.calls).toBe(2);
    expect(withCredentialCache(backend, 0)).toBe(backend);
  });

  it('keeps the provider name, lookup and close of the provider it wraps', async () => {
    const backend = counting(allowAlice);
    const sut = withCredentialCache(backend, 60_000);
    await sut.lookup!('alice', ctx);
    await sut.close!();
    expect([sut.name, backend.lookups, backend.closed]).toEqual(['backend', 1, true]);
  });
});
