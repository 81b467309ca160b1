import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { requireRedis, startRedis, type RunningRedis } from '../support/redis-server.js';
import { basic, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';

/**
 * How many round trips to Redis each kind of request costs, counted by Redis itself (INFO
 * commandstats): the figures docs/scaling.md's capacity model rests on. A transaction
 * (MULTI…EXEC) and a script (EVALSHA) are one round trip each, whatever they run inside.
 */

const password = 'commands-right-password';

requireRedis().describeIf('round trips to the shared store per request', () => {
  let redis: RunningRedis;
  let h: LoggedServer;

  beforeAll(async () => {
    redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'regauth-store-commands-'));
    const file = join(dir, 'config.yml');
    writeFileSync(
      file,
      `token: { issuer: commands, generate_missing: true, keys: [{ key: k.pem }], refresh: { secrets: [refresh.secret] } }
services: [registry]
store: { type: redis, url: "${redis.url}" }
authn:
  - name: users
    type: static
    cache: 60s
    users: { alice: { password: "${bcrypt.hashSync(password, 4)}" }, "": {} }
acl: [{ match: {}, actions: [pull] }]
`,
    );
    h = await serveWithLogs(file);
  });
  afterAll(async () => {
    await h.server.close();
  });

  const calls = async (): Promise<Record<string, number>> => {
    const text = (await redis.command('INFO', 'commandstats')) as string;
    return Object.fromEntries([...text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
  };
  /** Round trips the server made to Redis while `work` ran. */
  const roundTrips = async (work: () => Promise<Response>): Promise<number> => {
    const before = await calls();
    await (await work()).arrayBuffer();
    const after = await calls();
    const delta = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
    return delta('exec') + delta('eval') + delta('evalsha') + delta('hmget') + delta('del');
  };
  const login = (pw: string, extra = ''): Promise<Response> => h.get(`service=registry&scope=repository:a:pull${extra}`, basic('alice', pw));

  it('costs an anonymous pull nothing', async () => {
    expect(await roundTrips(() => h.get('service=registry&scope=repository:a:pull'))).toBe(0);
  });

  it('costs a password login two (the address and account counters, read at once)', async () => {
    expect(await roundTrips(() => login(password))).toBe(2);
  });

  it('costs a failed login four (read, then count, both counters), and the next success one more to clear the account', async () => {
    expect(await roundTrips(() => login('wrong-password'))).toBe(4);
    expect(await roundTrips(() => login(password))).toBe(3);
    expect(await roundTrips(() => login(password))).toBe(2);
  });

  it('costs a refresh grant one (the revocation list)', async () => {
    const { refresh_token } = (await (await login(password, '&offline_token=true')).json()) as { refresh_token: string };
    expect(await roundTrips(() => h.post({ grant_type: 'refresh_token', refresh_token, service: 'registry', client_id: 'ci' }))).toBe(1);
  });
});
