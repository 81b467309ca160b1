import { throttleSchema } from '../config/config.schema.js';
import { ipKey, LoginThrottle } from './login-throttle.js';

const config = (overrides: Record<string, unknown> = {}) => throttleSchema.parse({ max_failures: 2, window: '1m', block: '2m', ...overrides });

describe(LoginThrottle.name, () => {
  it('allows until max_failures, then refuses for about the block time', async () => {
    const sut = new LoginThrottle();
    await sut.failure(config(), '10.0.0.1', 'alice');
    expect(await sut.check(config(), '10.0.0.1', 'bob')).toEqual({ allowed: true });
    await sut.failure(config(), '10.0.0.1', 'alice');
    const verdict = await sut.check(config(), '10.0.0.1', 'bob');
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.retryAfterSeconds).toBeGreaterThan(60);
  });

  it('counts nothing when turned off', async () => {
    const sut = new LoginThrottle();
    for (let i = 0; i < 5; i++) await sut.failure(config({ enabled: false }), '10.0.0.1', 'alice');
    expect(await sut.check(config({ enabled: false }), '10.0.0.1', 'alice')).toEqual({ allowed: true });
  });

  it('keeps its counts while the settings stay the same', async () => {
    const sut = new LoginThrottle();
    await sut.failure(config(), '10.0.0.9', 'x');
    await sut.failure(config(), '10.0.0.9', 'y');
    expect((await sut.check(config(), '10.0.0.9', 'z')).allowed).toBe(false);
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
