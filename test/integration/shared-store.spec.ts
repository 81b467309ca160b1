import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { startServer, type RunningServer } from '../../src/server.js';
import { requireRedis, startRedis, type RunningRedis } from '../support/redis-server.js';
import { eventually, timed } from '../support/settled.js';
import { basic, capturingLogger } from '../support/token-server.fixture.js';

/**
 * Two replicas sharing a real redis-server (docs/scaling.md): failed logins count once for the
 * fleet; with Redis gone each replica counts on its own and logins go on; Redis coming back
 * restores shared counting without a restart; a Redis that stops answering never holds a login.
 * Each test logs in from loopback addresses of its own, so address counters do not carry over.
 */

const password = 'replica-right-password';
const MAX = 3;

requireRedis().describeIf('two replicas sharing a Redis store', () => {
  let redis: RunningRedis;
  const replicas: Array<{ server: RunningServer; logs: string[] }> = [];

  beforeAll(async () => {
    redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'regauth-replicas-'));
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      `server: { request_timeout: 5s }
token: { issuer: replicas, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
throttle: { max_failures: ${MAX}, window: 1m, block: 1m }
store: { type: redis, url: "${redis.url}", key_prefix: "test:", command_timeout: 200ms }
authn:
  - type: static
    cache: 0s
    users: { alice: { password: "${bcrypt.hashSync(password, 4)}" }, bob: { password: "${bcrypt.hashSync(password, 4)}" } }
acl: [{ match: { account: "/.+/" }, actions: [pull] }]
`,
    );
    for (let i = 0; i < 2; i++) {
      const logs: string[] = [];
      replicas.push({ server: await startServer({ configFile: config, host: '127.0.0.1', port: 0, logger: capturingLogger(logs) }), logs });
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.server.close()));
  });

  /** GET /auth on replica `n` from a chosen loopback address. */
  const login = (n: number, from: string, user: string, pw: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const url = new URL(`${replicas[n].server.url}/auth?service=registry&scope=repository:a/b:pull`);
      const req = request(url, { localAddress: from, headers: { authorization: basic(user, pw) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const readyz = async (n: number): Promise<Record<string, unknown>> =>
    (await fetch(`${replicas[n].server.url}/readyz`)).json() as Promise<Record<string, unknown>>;
  const logged = (n: number, msg: string): number => replicas[n].logs.filter((l) => (JSON.parse(l) as { msg?: string }).msg === msg).length;

  it('counts failures spread over both replicas once, as one replica would', async () => {
    expect(await readyz(0)).toEqual(expect.objectContaining({ status: 'ready', store: 'connected' }));
    // Three wrong passwords for alice, from three addresses, alternating between the replicas.
    expect([
      await login(0, '127.0.1.1', 'alice', 'wrong'),
      await login(1, '127.0.1.2', 'alice', 'wrong'),
      await login(0, '127.0.1.3', 'alice', 'wrong'),
    ]).toEqual([401, 401, 401]);
    // The account is blocked on both, even with the right password and from a fresh address.
    expect(await login(1, '127.0.1.4', 'alice', password)).toBe(429);
    expect(await login(0, '127.0.1.5', 'alice', password)).toBe(429);
    // One account counter, under the configured prefix.
    expect(await redis.command('KEYS', 'test:throttle:account:*')).toHaveLength(1);
  });

  it('goes on with per-replica counts while Redis is down, and says so once', async () => {
    await redis.stop();
    expect(await login(0, '127.0.2.1', 'bob', password)).toBe(200);
    for (let i = 0; i < MAX; i++) expect(await login(0, '127.0.2.2', 'bob', 'wrong')).toBe(401);
    // Replica 0 counted those itself; replica 1 never saw them.
    expect(await login(0, '127.0.2.3', 'bob', password)).toBe(429);
    expect(await login(1, '127.0.2.4', 'bob', password)).toBe(200);

    expect(await readyz(1)).toEqual(expect.objectContaining({ status: 'ready', store: 'unreachable' }));
    const metrics = await (await fetch(`${replicas[0].server.url}/metrics`)).text();
    expect(metrics).toMatch(/^regauth_store_up 0$/m);
    expect(logged(0, 'shared store unreachable: failed-login counts fall back to this process and refresh grants are refused (503) until it is back')).toBe(1);
  });

  it('shares counts again once Redis is back, without a restart', async () => {
    await redis.start();
    await eventually(() => replicas.every((r) => r.logs.some((l) => l.includes('shared store reachable again'))), 10_000);
    expect(await readyz(0)).toEqual(expect.objectContaining({ store: 'connected' }));
    expect(logged(1, 'shared store reachable again: failed-login counts are shared and refresh grants served again')).toBe(1);

    // The restarted Redis starts empty; dave is no user, so every login is a failure.
    const spread = [await login(0, '127.0.3.1', 'dave', 'x'), await login(1, '127.0.3.2', 'dave', 'x'), await login(1, '127.0.3.3', 'dave', 'x')];
    expect(spread).toEqual([401, 401, 401]);
    expect(await login(0, '127.0.3.4', 'dave', 'x')).toBe(429);
  });

  it('answers a login within command_timeout when Redis stops answering', async () => {
    redis.pause();
    try {
      const { ms, result } = await timed(login(1, '127.0.4.1', 'alice-not', 'x'));
      expect(result).toEqual({ status: 'fulfilled', value: 401 });
      // Two throttle commands of at most 200 ms each, plus bcrypt at cost 4.
      expect(ms).toBeLessThan(2000);
    } finally {
      redis.resume();
    }
  });
});
