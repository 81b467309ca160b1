import { Redis } from 'ioredis';
import { listRevocations, recordRevocation, revokedBefore, type Revocation } from '../../src/store/revocation-records.js';
import { requireRedis, startRedis, type RunningRedis } from '../support/redis-server.js';

/** The revocation list as `regauth revoke` writes it and a refresh grant reads it, in a real Redis. */

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

const revocation = (target: Revocation['target'], before: number, lifetime = 30 * DAY): Revocation => ({
  target,
  before,
  expires: before + lifetime,
  recorded: before,
});

requireRedis().describeIf('revocation records', () => {
  let server: RunningRedis;
  let sut: Redis;
  let prefix = 0;

  beforeAll(async () => {
    server = await startRedis();
  });
  beforeEach(() => {
    // A key prefix per test: each starts with an empty list.
    sut = new Redis(server.port, '127.0.0.1', { keyPrefix: `t${++prefix}:` });
  });
  afterEach(() => sut.disconnect());

  it('finds nothing revoked in an empty store', async () => {
    expect(await revokedBefore(sut, 'alice', T0)).toBeUndefined();
    expect(await listRevocations(sut, T0)).toEqual([]);
  });

  it("applies an account's revocation to that account in any case, and to no one else", async () => {
    await recordRevocation(sut, revocation({ account: 'Alice' }, T0));
    expect(await revokedBefore(sut, 'alice', T0 + 1)).toBe(T0);
    expect(await revokedBefore(sut, 'ALICE', T0 + 1)).toBe(T0);
    expect(await revokedBefore(sut, 'bob', T0 + 1)).toBeUndefined();
  });

  it('applies `all` to every account, and the later of `all` and the account cutoff wins', async () => {
    await recordRevocation(sut, revocation('all', T0));
    await recordRevocation(sut, revocation({ account: 'carol' }, T0 + 5000));
    expect(await revokedBefore(sut, 'bob', T0 + 10_000)).toBe(T0);
    expect(await revokedBefore(sut, 'carol', T0 + 10_000)).toBe(T0 + 5000);
  });

  it('keeps a later cutoff already recorded for the same account', async () => {
    await recordRevocation(sut, revocation({ account: 'dave' }, T0 + 5000));
    const outcome = await recordRevocation(sut, revocation({ account: 'dave' }, T0));
    expect(outcome).toEqual({ revocation: expect.objectContaining({ before: T0 + 5000 }), kept: true });
    expect(await revokedBefore(sut, 'dave', T0 + 10_000)).toBe(T0 + 5000);
  });

  it('replaces an earlier cutoff with a later one', async () => {
    await recordRevocation(sut, revocation({ account: 'erin' }, T0));
    expect((await recordRevocation(sut, revocation({ account: 'erin' }, T0 + 5000))).kept).toBe(false);
    expect(await revokedBefore(sut, 'erin', T0 + 10_000)).toBe(T0 + 5000);
  });

  it('ignores a record once every token it could refuse has expired, and prunes it at the next write', async () => {
    await recordRevocation(sut, revocation({ account: 'frank' }, T0, DAY));
    expect(await revokedBefore(sut, 'frank', T0 + DAY)).toBeUndefined();
    expect(await listRevocations(sut, T0 + DAY)).toEqual([]);

    await recordRevocation(sut, { ...revocation({ account: 'gina' }, T0 + DAY), recorded: T0 + DAY });
    expect(Object.keys(await sut.hgetall('revocations'))).toEqual(['account:gina']);
  });

  it('lets the key expire with its last record', async () => {
    const now = Date.now();
    await recordRevocation(sut, revocation({ account: 'hank' }, now, 10 * DAY));
    await recordRevocation(sut, revocation('all', now, DAY));
    const expireAt = await sut.pexpiretime('revocations');
    expect(expireAt).toBe(now + 10 * DAY);
  });

  it('lists the records in force, oldest first, with their targets', async () => {
    await recordRevocation(sut, revocation({ account: 'ivy' }, T0 + 2000));
    await recordRevocation(sut, revocation('all', T0 + 1000));
    expect((await listRevocations(sut, T0 + 3000)).map((r) => r.target)).toEqual(['all', { account: 'ivy' }]);
  });

  it('ignores a value it did not write', async () => {
    await sut.hset('revocations', 'account:judy', 'not json', 'all', '{"before":"yesterday"}');
    expect(await revokedBefore(sut, 'judy', T0)).toBeUndefined();
  });

  it('throws when the store cannot be read, so the caller can fail closed', async () => {
    const unreachable = new Redis(1, '127.0.0.1', { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    await expect(revokedBefore(unreachable, 'alice', T0)).rejects.toThrow();
    unreachable.disconnect();
  });
});
