import bcrypt from 'bcrypt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { MetricsServer } from '../../src/observability/metrics-server.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { script } from '../support/scripts/leftover-processes.js';
import { basic, capturingLogger } from '../support/token-server.fixture.js';

/**
 * /metrics as Prometheus reads it: parsed with a text-format parser, counts matching the requests
 * this test made, no request data in any label.
 */

const PASSWORD = 'metrics-password';

function sample(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  const found = family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return found.reduce((sum, m) => sum + Number(m.value ?? m.count ?? 0), 0);
}

describe('metrics', () => {
  let dir: string;
  let sut: RunningServer;
  const logs: string[] = [];

  const write = (metrics = ''): string => {
    const file = join(dir, 'config.yml');
    writeFileSync(
      file,
      `${metrics}
token: { issuer: metrics, generate_missing: true, keys: [{ key: k.pem }], refresh: { secrets: [r.secret] } }
services: [registry]
throttle: { max_failures: 2 }
authn:
  - { name: users, type: static, users: { alice: { password: "${bcrypt.hashSync(PASSWORD, 4)}" } } }
  - { name: broken, type: command, command: "${script('exit-with.sh')}", args: ["7"] }
acl:
  - { match: { account: alice, name: "secret/*" }, actions: [], comment: nobody reads secrets }
  - { match: { account: alice }, actions: [pull] }
`,
    );
    return file;
  };
  const auth = (query: string, user = 'alice', password = PASSWORD): Promise<Response> =>
    fetch(`${sut.url}/auth?service=registry&${query}`, { headers: { authorization: basic(user, password) } });
  const scrape = async (url = `${sut.url}/metrics`): Promise<PrometheusFamily[]> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusTextFormat(await res.text());
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-metrics-'));
  });
  afterEach(async () => {
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts token requests by outcome, backend calls, tokens and reloads, and keeps request data out of labels', async () => {
    sut = await startServer({ configFile: write(), host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
    expect((await auth('scope=repository:app:pull')).status).toBe(200); // granted
    expect((await auth('scope=repository:app:pull,push&offline_token=true')).status).toBe(200); // partial, + refresh token
    expect((await auth('scope=repository:secret/keys:pull')).status).toBe(200); // denied: a token granting nothing
    expect((await fetch(`${sut.url}/auth?service=nope`)).status).toBe(400);
    expect((await auth('scope=repository:app:pull', 'robot', 'token')).status).toBe(503);
    expect((await auth('scope=repository:app:pull', 'alice', 'wrong-1')).status).toBe(401);
    expect((await auth('scope=repository:app:pull', 'alice', 'wrong-2')).status).toBe(401);
    expect((await auth('scope=repository:app:pull', 'alice', 'wrong-3')).status).toBe(429);
    await sut.reload();
    writeFileSync(join(dir, 'config.yml'), 'token: [');
    await sut.reload().catch(() => undefined);

    const families = await scrape();
    const requests = (outcome: string): number => sample(families, 'regauth_token_requests_total', { outcome });
    expect([requests('granted'), requests('partial'), requests('denied')]).toEqual([1, 1, 1]);
    expect([requests('bad_request'), requests('unauthorized'), requests('throttled'), requests('unavailable')]).toEqual([1, 2, 1, 1]);
    expect(families.find((f) => f.name === 'regauth_token_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(sample(families, 'regauth_backend_calls_total', { kind: 'provider', name: 'users', outcome: 'allow' })).toBe(3);
    expect(sample(families, 'regauth_backend_calls_total', { kind: 'provider', name: 'users', outcome: 'deny' })).toBe(2);
    expect(sample(families, 'regauth_backend_calls_total', { kind: 'provider', name: 'broken', outcome: 'error' })).toBe(1);
    expect(sample(families, 'regauth_tokens_issued_total', { kind: 'access' })).toBe(3);
    expect(sample(families, 'regauth_tokens_issued_total', { kind: 'refresh' })).toBe(1);
    expect(sample(families, 'regauth_config_reloads_total', { result: 'success' })).toBe(1);
    expect(sample(families, 'regauth_config_reloads_total', { result: 'failure' })).toBe(1);
    expect(sample(families, 'regauth_config_generation')).toBe(2);
    expect(sample(families, 'regauth_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sample(families, 'regauth_throttle_tracked', { key: 'account' })).toBe(1);
    expect(families.some((f) => f.name === 'process_cpu_user_seconds_total')).toBe(true);

    const labelValues = families.flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
    for (const leaked of ['alice', 'robot', 'app', 'secret/keys', '127.0.0.1', 'registry', PASSWORD]) expect(labelValues).not.toContain(leaked);
  });

  it('serves metrics on their own listener when metrics.addr is set, and not on the token listener', async () => {
    sut = await startServer({ configFile: write('metrics: { addr: "127.0.0.1:0" }'), host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
    expect((await fetch(`${sut.url}/metrics`)).status).toBe(404);
    const address = sut.app.get(MetricsServer).address;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(sample(await scrape(`http://${address}/metrics`), 'regauth_config_generation')).toBe(1);
    expect((await fetch(`http://${address}/auth`)).status).toBe(404);
  });

  it('can be turned off', async () => {
    sut = await startServer({ configFile: write('metrics: { enabled: false }'), host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
    expect((await fetch(`${sut.url}/metrics`)).status).toBe(404);
  });
});
