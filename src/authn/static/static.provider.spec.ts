import { jest } from '@jest/globals';
import bcrypt from 'bcrypt';
import { ConcurrencyLimiter, OverloadedError } from '../../common/concurrency-limiter.js';
import { Secret } from '../../common/secret.js';
import type { Provider } from '../provider.js';
import type { RequestContext } from '../../common/request-context.js';
import { createStaticProvider } from './static.provider.js';
import { staticProviderSchema } from './static.schema.js';
import { providerContext } from '../../../test/support/provider-context.js';

const ctx: RequestContext = { requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal: new AbortController().signal };
const alicePassword = 'correct horse: battery staple';

async function buildSut(users: Record<string, { password?: string; labels?: Record<string, string[]> }>): Promise<Provider> {
  return createStaticProvider(staticProviderSchema.parse({ type: 'static', users }), providerContext('.', 'users'));
}

describe('static provider', () => {
  let aliceHash: string;
  beforeAll(async () => {
    aliceHash = await bcrypt.hash(alicePassword, 4);
  });

  it('allows a known user with the right password and returns their labels', async () => {
    const sut = await buildSut({ alice: { password: aliceHash, labels: { group: ['dev', 'ops'] } } });
    const result = await sut.authenticate('alice', new Secret(alicePassword), ctx);
    expect(result).toEqual({ kind: 'allow', labels: { group: ['dev', 'ops'] }, credential: expect.any(String) });
  });

  it("compares an unknown user's password against a hash of the highest cost among the users", async () => {
    const sut = await buildSut({ cheap: { password: aliceHash }, dear: { password: bcrypt.hashSync('x', 6) } });
    const compare = jest.spyOn(bcrypt, 'compare');
    try {
      await sut.authenticate('nobody', new Secret('guess'), ctx);
      expect(compare).toHaveBeenCalledTimes(1);
      expect(String(compare.mock.calls[0][1])).toMatch(/^\$2[ab]\$06\$/);
    } finally {
      compare.mockRestore();
    }
  });

  it('fingerprints the credential identically at login and lookup, and differently for another hash of the same password', async () => {
    const sut = await buildSut({ alice: { password: aliceHash } });
    const rehashed = await buildSut({ alice: { password: bcrypt.hashSync(alicePassword, 4) } });

    const atLogin = await sut.authenticate('alice', new Secret(alicePassword), ctx);
    const atLookup = await sut.lookup!('alice', ctx);
    const afterReset = await rehashed.lookup!('alice', ctx);

    expect(atLogin).toMatchObject({ credential: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
    expect(atLookup).toMatchObject({ credential: (atLogin as { credential: string }).credential });
    expect(afterReset).not.toMatchObject({ credential: (atLogin as { credential: string }).credential });
  });

  it('denies a known user with a wrong password', async () => {
    const sut = await buildSut({ alice: { password: aliceHash } });
    expect(await sut.authenticate('alice', new Secret('wrong'), ctx)).toEqual({ kind: 'deny' });
  });

  it('answers no_match for an unknown user so the next provider can try', async () => {
    const sut = await buildSut({ alice: { password: aliceHash } });
    expect(await sut.authenticate('bob', new Secret(alicePassword), ctx)).toEqual({ kind: 'no_match' });
  });

  it.each(['$2a$', '$2b$', '$2y$'])('verifies %s hashes', async (prefix) => {
    const sut = await buildSut({ alice: { password: `${prefix}${aliceHash.slice(4)}` } });
    expect((await sut.authenticate('alice', new Secret(alicePassword), ctx)).kind).toBe('allow');
  });

  it('denies a password longer than 72 bytes even when its first 72 bytes match', async () => {
    const long = 'x'.repeat(72);
    const sut = await buildSut({ alice: { password: await bcrypt.hash(long, 4) } });
    expect(await sut.authenticate('alice', new Secret(`${long}-suffix`), ctx)).toEqual({ kind: 'deny' });
  });

  it('allows the anonymous user "" when configured', async () => {
    const sut = await buildSut({ '': { labels: { anon: ['yes'] } } });
    expect(await sut.authenticate('', new Secret(''), ctx)).toEqual({ kind: 'allow', labels: { anon: ['yes'] } });
  });

  it('answers no_match for an anonymous request when "" is not configured', async () => {
    const sut = await buildSut({ alice: { password: aliceHash } });
    expect(await sut.authenticate('', new Secret(''), ctx)).toEqual({ kind: 'no_match' });
  });

  it('never lets a password log in as the anonymous user', async () => {
    const sut = await buildSut({ '': {} });
    expect(await sut.authenticate('', new Secret('anything'), ctx)).toEqual({ kind: 'no_match' });
  });

  it('drops prototype-polluting label keys', async () => {
    const labels = JSON.parse('{"__proto__": ["x"], "group": ["dev"]}') as Record<string, string[]>;
    const sut = await buildSut({ alice: { password: aliceHash, labels } });
    const result = await sut.authenticate('alice', new Secret(alicePassword), ctx);
    expect(result.kind === 'allow' && Object.keys(result.labels)).toEqual(['group']);
  });

  it('looks a user up for refresh grants', async () => {
    const sut = await buildSut({ alice: { password: aliceHash, labels: { g: ['1'] } } });
    expect(await sut.lookup!('alice', ctx)).toEqual({ kind: 'allow', labels: { g: ['1'] }, credential: expect.any(String) });
    expect(await sut.lookup!('gone', ctx)).toEqual({ kind: 'no_match' });
  });

  it('keeps the event loop free while bcrypt runs', async () => {
    // A cost-14 comparison takes far longer than a timer tick; if bcrypt ran on the event loop,
    // the timer below could not fire before the comparison finished.
    const sut = await buildSut({ alice: { password: await bcrypt.hash('slow', 14) } });
    const order: string[] = [];
    const check = sut.authenticate('alice', new Secret('slow'), ctx).then(() => order.push('bcrypt'));
    await new Promise((r) => setTimeout(r, 5)).then(() => order.push('timer'));
    await check;
    expect(order).toEqual(['timer', 'bcrypt']);
  }, 60_000);

  describe('bounded password hashing', () => {
    const bounded = async (concurrency: number, queue: number) => {
      const passwordHashing = new ConcurrencyLimiter({ concurrency, queue, name: 'password hashing' });
      const users = { alice: { password: await bcrypt.hash('slow', 10) } };
      return {
        passwordHashing,
        sut: await createStaticProvider(staticProviderSchema.parse({ type: 'static', users }), providerContext('.', 'users', { passwordHashing })),
      };
    };

    it('runs no more compares at once than the bound, real and dummy alike', async () => {
      const { passwordHashing, sut } = await bounded(1, 16);
      let most = 0;
      const sample = setInterval(() => (most = Math.max(most, passwordHashing.running)), 1);
      await Promise.all([0, 1, 2, 3].map((i) => sut.authenticate(i % 2 ? 'alice' : 'nobody', new Secret('wrong'), ctx)));
      clearInterval(sample);
      expect(most).toBe(1);
    });

    it('refuses a compare past the queue with an overload error (the chain answers 503)', async () => {
      const { sut } = await bounded(1, 0);
      const first = sut.authenticate('alice', new Secret('wrong'), ctx);
      await expect(sut.authenticate('alice', new Secret('other'), ctx)).rejects.toBeInstanceOf(OverloadedError);
      await first;
    });

    it('skips the dummy compare past the queue, so names of later providers are not locked out', async () => {
      const { sut } = await bounded(1, 0);
      const first = sut.authenticate('alice', new Secret('wrong'), ctx);
      await expect(sut.authenticate('robot', new Secret('token'), ctx)).resolves.toEqual({ kind: 'no_match' });
      await first;
    });

    it('never starts a compare once the request deadline has passed', async () => {
      const { passwordHashing, sut } = await bounded(1, 16);
      const late: RequestContext = { ...ctx, signal: AbortSignal.abort(new Error('deadline passed')) };
      await expect(sut.authenticate('alice', new Secret('slow'), late)).rejects.toThrow('deadline passed');
      expect(passwordHashing.running).toBe(0);
    });

    it('leaves the queue when the deadline passes while waiting', async () => {
      const { passwordHashing, sut } = await bounded(1, 16);
      const first = sut.authenticate('alice', new Secret('wrong'), ctx);
      const waiting = sut.authenticate('alice', new Secret('slow'), { ...ctx, signal: AbortSignal.timeout(5) });
      await expect(waiting).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(passwordHashing.waiting).toBe(0);
      await first;
    });
  });
});
