import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { freePort } from '../support/free-port.js';
import { startServed, type ServedProcess } from '../support/served-process.js';
import { eventually } from '../support/settled.js';
import { basic, claimsOf } from '../support/token-server.fixture.js';

/**
 * `server.workers: 2`, the real binary: what works in one process works across the cluster.
 * Every request here goes on a connection of its own, so the primary hands them to the workers
 * in turn, and the audit lines say which worker answered.
 */

const password = 'cluster-test-password';
const hash = bcrypt.hashSync(password, 4);
const slowScript = join(process.cwd(), 'test/support/scripts/slow-allow.sh');

interface ConfigOptions {
  readonly actions?: readonly string[];
  readonly server?: string;
  readonly commandConcurrency?: number;
}

function writeConfig(dir: string, port: number, { actions = ['pull'], server = '', commandConcurrency = 8 }: ConfigOptions = {}): string {
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `server: { addr: "127.0.0.1:${port}", workers: 2, shutdown_timeout: 2s${server} }
token: { issuer: cluster, generate_missing: true, keys: [{ key: key.pem, certificate: cert.pem }] }
services: [registry]
throttle: { max_failures: 3, window: 1m, block: 1m }
reload: { debounce: 100ms }
authn:
  - type: static
    users: { alice: { password: "${hash}" } }
  - type: command
    name: slow
    command: ${JSON.stringify(slowScript)}
    args: ["1"]
    concurrency: ${commandConcurrency}
acl:
  - { match: { account: alice }, actions: ${JSON.stringify(actions)} }
  - { match: { account: "/slow.*/" }, actions: [pull] }
`,
  );
  return file;
}

/** One request on a fresh connection (no keep-alive pool), so each may reach another worker. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The processes whose parent is `pid` (pgrep exits 1, with no output, when there are none). */
function childrenOf(pid: number): number[] {
  return spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
}

interface AccessClaim {
  access: Array<{ actions: string[] }>;
}

describe('regauth serve with server.workers: 2', () => {
  let dir: string;
  let port: number;
  let config: string;
  let sut: ServedProcess | undefined;

  const tokenUrl = (): string => `${sut!.url}/auth?service=registry&scope=repository:team/app:pull,push`;
  const grantedActions = async (): Promise<string[]> => {
    const res = await get(tokenUrl(), { authorization: basic('alice', password) });
    expect(res.status).toBe(200);
    return claimsOf<AccessClaim>((JSON.parse(res.body) as { token: string }).token).access.flatMap((a) => a.actions);
  };
  /** Which workers answered token requests so far, from the audit lines. */
  const workersSeen = (): Set<unknown> => new Set(sut!.logs.filter((l) => l.audit === 'token').map((l) => l.worker));
  const workerPids = (): number[] => childrenOf(sut!.child.pid!);
  const start = async (options: ConfigOptions = {}): Promise<ServedProcess> => {
    config = writeConfig(dir, port, options);
    sut = await startServed(['bin/regauth.js', 'serve', '--config', config], port);
    await eventually(() => sut!.logged('regauth cluster ready').length > 0, 15_000);
    expect(sut.logged('regauth cluster ready')).toEqual([expect.objectContaining({ workers: 2 })]);
    return sut;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-workers-'));
    port = await freePort();
  });
  afterEach(async () => {
    await sut?.stop();
    sut = undefined;
  });

  it('serves from two worker processes under one primary, which alone prints the banner', async () => {
    await start();
    expect(workerPids()).toHaveLength(2);
    for (let i = 0; i < 6; i++) expect(await grantedActions()).toEqual(['pull']);
    expect([...workersSeen()].sort()).toEqual([1, 2]);
    expect(sut!.stderr().match(/regauth is serving tokens/g)).toHaveLength(1);
    expect(sut!.logged('regauth listening')).toHaveLength(2);
  });

  it('starts each worker with the heap bounds of server.worker_memory', async () => {
    await start({ server: ', worker_memory: { semi_space_mb: 2, old_space_mb: 96 }' });

    for (const pid of workerPids()) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toEqual(expect.arrayContaining(['--max-semi-space-size=2', '--max-old-space-size=96']));
    }
    expect(await grantedActions()).toEqual(['pull']);
  });

  it('switches every worker on SIGHUP, and logs the reload once', async () => {
    await start();
    writeConfig(dir, port, { actions: ['pull', 'push'] });
    sut!.child.kill('SIGHUP');
    await eventually(() => sut!.logged('config reloaded').length > 0, 10_000);

    expect(sut!.logged('config reloaded')).toEqual([expect.objectContaining({ workers: 2 })]);
    for (let i = 0; i < 6; i++) expect(await grantedActions()).toEqual(['pull', 'push']);
    expect(workersSeen().size).toBe(2);
  });

  it('switches every worker when the config file is edited, with no signal', async () => {
    await start();
    writeConfig(dir, port, { actions: ['pull', 'push'] });
    await eventually(() => sut!.logged('config reloaded').length > 0, 10_000);

    for (let i = 0; i < 6; i++) expect(await grantedActions()).toEqual(['pull', 'push']);
    expect(workersSeen().size).toBe(2);
  });

  it('changes no worker when the new config is broken, and says so once', async () => {
    await start();
    writeFileSync(config, 'token: { issuer: [not, a, string] }\nacl: [\n');
    sut!.child.kill('SIGHUP');
    await eventually(() => sut!.logged('config reload rejected; still serving the previous config').length > 0, 10_000);
    // The file watcher sees the same broken file: it must not try (and log) it again.
    await new Promise((r) => setTimeout(r, 500));

    expect(sut!.logged('config reload rejected; still serving the previous config')).toHaveLength(1);
    expect(sut!.logged('config reloaded')).toHaveLength(0);
    for (let i = 0; i < 6; i++) expect(await grantedActions()).toEqual(['pull']);
    expect(workersSeen().size).toBe(2);
  });

  it('counts failed logins once for the machine: the 4th attempt is refused whichever worker gets it', async () => {
    await start();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(tokenUrl(), { authorization: basic('alice', 'wrong') })).status);

    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(workersSeen().size).toBe(2);
  });

  it('serves /metrics summed over the workers, whichever worker answers', async () => {
    await start();
    for (let i = 0; i < 4; i++) await grantedActions();
    await get(tokenUrl(), { authorization: basic('alice', 'wrong') });

    for (let i = 0; i < 2; i++) {
      const res = await get(`${sut!.url}/metrics`);
      expect(res.status).toBe(200);
      const families = parsePrometheusTextFormat(res.body);
      const requests = families.find((f) => f.name === 'regauth_token_requests_total')!.metrics;
      const count = (outcome: string): number => Number(requests.find((m) => m.labels?.outcome === outcome)?.value ?? 0);
      expect([count('partial'), count('unauthorized')]).toEqual([4, 1]);
      // The same config in both workers: generation 1, not 2.
      expect(families.find((f) => f.name === 'regauth_config_generation')!.metrics[0]?.value).toBe('1');
    }
  });

  it('bounds ext_auth processes for the machine: concurrency 2 means at most 2 running, not 2 per worker', async () => {
    await start({ commandConcurrency: 2 });
    const logins = Array.from({ length: 6 }, (_, i) => get(`${sut!.url}/auth?service=registry`, { authorization: basic(`slow${i}`, 'pw') }));
    let peak = 0;
    const sampling = setInterval(() => {
      // pgrep exits 1 when nothing matches: read its output, not its status.
      const running = spawnSync('pgrep', ['-f', slowScript], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
      peak = Math.max(peak, running);
    }, 50);
    const results = await Promise.all(logins).finally(() => clearInterval(sampling));

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(peak).toBe(2);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    await start();
    const [victim] = workerPids();
    process.kill(victim, 'SIGKILL');
    await eventually(() => sut!.logged('worker exited unexpectedly; starting a new one').length > 0, 5_000);
    expect(await grantedActions()).toEqual(['pull']);
    await eventually(() => sut!.logged('regauth listening').length === 3, 15_000);

    expect(workerPids()).toHaveLength(2);
    expect(workerPids()).not.toContain(victim);
  });

  it('drains every worker on SIGTERM (an in-flight login finishes) and exits 0 when all have', async () => {
    await start();
    const pids = workerPids();
    const inFlight = get(`${sut!.url}/auth?service=registry`, { authorization: basic('slowpoke', 'pw') });
    await new Promise((r) => setTimeout(r, 300));
    sut!.child.kill('SIGTERM');

    expect((await inFlight).status).toBe(200);
    expect(await sut!.exited).toEqual({ code: 0, signal: null });
    expect(sut!.logged('stopping: finishing in-flight requests')).toHaveLength(2);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('exits 0 on a SIGTERM that comes while the workers are still starting', async () => {
    config = writeConfig(dir, port);
    const child = spawn(process.execPath, ['bin/regauth.js', 'serve', '--config', config], { stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await eventually(() => childrenOf(child.pid!).length === 2, 10_000);
    child.kill('SIGTERM');

    // Nothing was in flight: a worker ended by the primary's SIGTERM before it served stopped as asked.
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('exits 1 when the workers cannot start (the port is taken)', async () => {
    const other = await startServed(['bin/regauth.js', 'serve', '--config', writeConfig(dir, port)], port);
    try {
      config = writeConfig(mkdtempSync(join(tmpdir(), 'regauth-workers-')), port);
      const child = spawn(process.execPath, ['bin/regauth.js', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));

      expect(code).toBe(1);
      expect(out).toContain('a worker could not start; stopping the server');
    } finally {
      await other.stop();
    }
  });
});
