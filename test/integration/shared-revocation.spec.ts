import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { requireRedis, startRedis, type RunningRedis } from '../support/redis-server.js';
import { eventually, pause, timed } from '../support/settled.js';
import { basic, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';

/**
 * `regauth revoke` run as an operator runs it, against two replicas sharing a real redis-server
 * (docs/scaling.md): a revocation recorded through one config reaches the other replica at its
 * next refresh grant; with Redis gone or frozen, refresh grants fail closed with 503 while
 * password logins go on.
 */

const SERVICE = 'registry';
const password = 'revocation-right-password';

/** The built CLI (npm test builds first), in a child process like an operator's shell. */
function regauth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/regauth.js', ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Waits into the next second: tokens carry their issue time in seconds, and a cutoff refuses its whole second. */
const nextSecond = (): Promise<void> => pause(1010 - (Date.now() % 1000));

function writeConfig(dir: string, store: string): string {
  const file = join(dir, `config-${store.startsWith('{ type: memory') ? 'memory' : 'redis'}.yml`);
  const hash = bcrypt.hashSync(password, 4);
  writeFileSync(
    file,
    `server: { request_timeout: 5s }
token:
  issuer: revocation
  generate_missing: true
  keys: [{ key: k.pem }]
  refresh: { secrets: [refresh.secret], expiration: 1h }
services: [${SERVICE}]
store: ${store}
authn:
  - name: users
    type: static
    cache: 0s
    users: { alice: { password: "${hash}" }, bob: { password: "${hash}" }, carol: { password: "${hash}" } }
acl: [{ match: { account: "/.+/" }, actions: [pull] }]
`,
  );
  return file;
}

requireRedis().describeIf('regauth revoke with two replicas sharing Redis', () => {
  let redis: RunningRedis;
  let dir: string;
  let config: string;
  const replicas: LoggedServer[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'regauth-revoke-'));
    config = writeConfig(dir, `{ type: redis, url: "${redis.url}", key_prefix: "rv:", command_timeout: 200ms }`);
    for (let i = 0; i < 2; i++) replicas.push(await serveWithLogs(config));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.server.close()));
  });

  const login = (n: number, user: string): Promise<Response> =>
    replicas[n].get(`service=${SERVICE}&offline_token=true&scope=repository:app:pull`, basic(user, password));
  const refreshToken = async (n: number, user: string): Promise<string> => {
    const res = await login(n, user);
    expect(res.status).toBe(200);
    return ((await res.json()) as { refresh_token: string }).refresh_token;
  };
  const refresh = (n: number, token: string): Promise<Response> =>
    replicas[n].post({ grant_type: 'refresh_token', refresh_token: token, service: SERVICE, client_id: 'ci', scope: 'repository:app:pull' });

  it('accepts a refresh token issued by one replica on the other', async () => {
    const token = await refreshToken(0, 'alice');
    expect((await refresh(1, token)).status).toBe(200);
  });

  it("refuses an account's refresh tokens on every replica once revoked on the command line, and no one else's", async () => {
    const alice = await refreshToken(0, 'alice');
    const bob = await refreshToken(1, 'bob');

    const revoked = await regauth('revoke', '--account', 'ALICE', '--config', config);
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked: refresh tokens of account "ALICE" issued at or before \S+ are refused/);

    // No cache anywhere: the next refresh on either replica reads the record.
    expect([(await refresh(1, alice)).status, (await refresh(0, alice)).status]).toEqual([401, 401]);
    expect((await refresh(1, bob)).status).toBe(200);
    const audit = replicas[1].logs
      .map((l) => JSON.parse(l) as { reason?: string })
      .filter((l) => l.reason === 'refresh token refused: revoked (regauth revoke)');
    expect(audit).toHaveLength(1);

    // Logging in again gives a token issued after the cutoff, which works.
    await nextSecond();
    expect((await refresh(1, await refreshToken(0, 'alice'))).status).toBe(200);

    const listed = await regauth('revoke', '--list', '--config', config);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^REVOKED\s+ISSUED AT OR BEFORE\s+RECORDED\s+EXPIRES\naccount ALICE\s+\S+Z/);
  });

  it('refuses every account with --all', async () => {
    const bob = await refreshToken(0, 'bob');
    const carol = await refreshToken(1, 'carol');
    expect((await regauth('revoke', '--all', '--config', config)).code).toBe(0);
    expect([(await refresh(1, bob)).status, (await refresh(0, carol)).status]).toEqual([401, 401]);
    await nextSecond();
    expect((await refresh(0, await refreshToken(1, 'carol'))).status).toBe(200);
  });

  it('fails refresh grants closed with 503 while Redis is down, keeps password logins going, and recovers without a restart', async () => {
    await nextSecond();
    const token = await refreshToken(0, 'carol');
    await redis.stop();
    try {
      const res = await refresh(1, token);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toEqual(expect.objectContaining({ details: 'authentication backend unavailable, try again later' }));
      expect((await login(1, 'carol')).status).toBe(200);

      const cli = await regauth('revoke', '--account', 'carol', '--config', config);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`regauth revoke: cannot reach the shared store ${redis.url}`);
    } finally {
      await redis.start();
    }
    await eventually(() => replicas.every((r) => r.logs.some((l) => l.includes('shared store reachable again'))), 10_000);
    expect((await refresh(1, token)).status).toBe(200);
  });

  it('answers a refresh grant with 503 within command_timeout when Redis stops answering', async () => {
    const token = await refreshToken(0, 'bob');
    redis.pause();
    try {
      const { ms, result } = await timed(refresh(1, token));
      expect(result.status === 'fulfilled' && result.value.status).toBe(503);
      // One HMGET of at most 200 ms, far inside the 5 s request deadline.
      expect(ms).toBeLessThan(2000);
    } finally {
      redis.resume();
    }
  });

  it('says so when Redis stops answering on an open connection, and again when it answers', async () => {
    const store = async (): Promise<unknown> => ((await (await fetch(`${replicas[0].server.url}/readyz`)).json()) as { store?: unknown }).store;
    const becomes = async (want: string): Promise<unknown> => {
      let seen = await store();
      for (const deadline = Date.now() + 5000; seen !== want && Date.now() < deadline; seen = await store()) await pause(100);
      return seen;
    };
    const said = (what: string): number => replicas[0].logs.filter((l) => l.includes(what)).length;
    expect(await becomes('connected')).toBe('connected');
    const [unreachable, reachable] = [said('shared store unreachable'), said('shared store reachable again')];
    redis.pause();
    try {
      expect(await becomes('unreachable')).toBe('unreachable');
      expect(said('shared store unreachable')).toBe(unreachable + 1);
    } finally {
      redis.resume();
    }
    expect(await becomes('connected')).toBe('connected');
    expect(said('shared store reachable again')).toBe(reachable + 1);
  });
});

describe('regauth revoke without a shared store', () => {
  it('explains that it needs one and points at token.refresh.not_before', async () => {
    const config = writeConfig(mkdtempSync(join(tmpdir(), 'regauth-revoke-')), '{ type: memory }');
    const sut = await regauth('revoke', '--account', 'alice', '--config', config);
    expect(sut.code).toBe(1);
    expect(sut.stderr).toContain('keeps its state in memory (store.type: memory)');
    expect(sut.stderr).toContain('token.refresh.not_before');
  });

  it.each([
    [[], 'give exactly one of --account NAME, --all or --list'],
    [['--all', '--list'], 'give exactly one of --account NAME, --all or --list'],
    [['--list', '--before', '2026-01-01T00:00:00Z'], '--before goes with --account or --all, not --list'],
    [['--all', '--before', 'yesterday'], '--before: expected an RFC 3339 time'],
    [['--all', '--before', '2999-01-01T00:00:00Z'], '--before: 2999-01-01T00:00:00Z is in the future'],
  ])('exits 2 on %j', async (args, message) => {
    const sut = await regauth('revoke', ...args);
    expect(sut.code).toBe(2);
    expect(sut.stderr).toContain(message);
  });
});
