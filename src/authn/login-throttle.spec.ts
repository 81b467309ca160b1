import { throttleSchema } from '../config/config.schema.js';
import { ipKey, KeyBudget, LoginThrottle } from './login-throttle.js';

const config = (overrides: Record<string, unknown> = {}) => throttleSchema.parse({ max_failures: 2, window: '1m', block: '2m', ...overrides });

describe(LoginThrottle.name, () => {
  it('allows until max_failures, then refuses for about the block time', async () => {
    const sut = new LoginThrottle();
    await sut.failure(config(), '10.0.0.1', 'alice');
    expect(await sut.check(config(), '10.0.0.1', 'bob')).toEqual({ allowed: true, accountCounted: false });
    await sut.failure(config(), '10.0.0.1', 'alice');
    const verdict = await sut.check(config(), '10.0.0.1', 'bob');
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.retryAfterSeconds).toBeGreaterThan(60);
  });

  it('counts nothing when turned off', async () => {
    const sut = new LoginThrottle();
    for (let i = 0; i < 5; i++) await sut.failure(config({ enabled: false }), '10.0.0.1', 'alice');
    expect(await sut.check(config({ enabled: false }), '10.0.0.1', 'alice')).toEqual({ allowed: true, accountCounted: false });
  });

  it('keeps its counts while the settings stay the same', async () => {
    const sut = new LoginThrottle();
    await sut.failure(config(), '10.0.0.9', 'x');
    await sut.failure(config(), '10.0.0.9', 'y');
    expect((await sut.check(config(), '10.0.0.9', 'z')).allowed).toBe(false);
  });
});

describe('LoginThrottle memory', () => {
  it('tracks at most max_tracked addresses and accounts while both rotate', async () => {
    const sut = new LoginThrottle();
    const bounded = config({ max_tracked: 100 });
    for (let i = 0; i < 1000; i++) await sut.failure(bounded, `10.0.${i >> 8}.${i & 255}`, `user-${i}`);
    expect(sut.tracked()).toEqual({ addresses: 100, accounts: 100 });
  });

  it('keeps counting, and blocks, an address it already tracks when the budget is full', async () => {
    const sut = new LoginThrottle();
    const bounded = config({ max_tracked: 100 });
    await sut.failure(bounded, '192.0.2.1', 'victim');
    for (let i = 0; i < 500; i++) await sut.failure(bounded, `10.1.${i >> 8}.${i & 255}`, `user-${i}`);
    await sut.failure(bounded, '192.0.2.1', 'victim');
    expect((await sut.check(bounded, '192.0.2.1', 'someone')).allowed).toBe(false);
    expect((await sut.check(bounded, '198.51.100.1', 'victim')).allowed).toBe(false);
  });

  it('tells whether the account has failures a success should clear', async () => {
    const sut = new LoginThrottle();
    expect(await sut.check(config(), '10.0.0.2', 'carol')).toEqual({ allowed: true, accountCounted: false });
    await sut.failure(config(), '10.0.0.2', 'carol');
    expect(await sut.check(config(), '10.0.0.3', 'carol')).toEqual({ allowed: true, accountCounted: true });
    await sut.success(config(), 'carol');
    expect(await sut.check(config(), '10.0.0.3', 'carol')).toEqual({ allowed: true, accountCounted: false });
  });

  it('forgets an account on success, making room for another', async () => {
    const sut = new LoginThrottle();
    await sut.failure(config(), '10.0.0.1', 'alice');
    await sut.success(config(), 'alice');
    expect(sut.tracked()).toEqual({ addresses: 1, accounts: 0 });
  });
});

describe(KeyBudget.name, () => {
  it('admits up to its size, refuses new keys while none has expired, and admits again after one has', () => {
    const sut = new KeyBudget(2);
    expect(sut.admit('a', 100, 0)).toBe(true);
    expect(sut.admit('b', 200, 0)).toBe(true);
    expect(sut.admit('c', 300, 50)).toBe(false);
    expect(sut.admit('a', 400, 50)).toBe(true);
    expect(sut.admit('c', 300, 250)).toBe(true);
    expect(sut.size).toBe(2);
  });
});

describe(ipKey.name, () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:aaaa::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s as %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });

  it('gives an unknown address a key of its own', () => {
    expect(ipKey(null)).toBe('unknown');
  });
});
