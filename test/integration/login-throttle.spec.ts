import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { scannedLogger } from '../support/log-scan.js';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { basic } from '../support/token-server.fixture.js';

/**
 * Failed-login throttling over real HTTP (docs/security.md rule 7). Clients come from different
 * loopback addresses (127.0.0.x) so per-address and per-account counting can be told apart. The
 * provider is a JS plugin that writes one line per call: a refused request must add none.
 */

const MAX = 5;

describe('failed-login throttling', () => {
  let sut: RunningServer;
  let calls: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-throttle-'));
    calls = join(dir, 'calls.log');
    writeFileSync(calls, '');
    writeFileSync(
      join(dir, 'counting.mjs'),
      `import { appendFileSync } from 'node:fs';
export function createProvider(options) {
  return {
    async authenticate(user, password) {
      appendFileSync(options.calls, user + '\\n');
      if (user === 'broken') throw new Error('backend down');
      return password.reveal() === 'right' ? { kind: 'allow', labels: {} } : { kind: 'deny' };
    },
  };
}
`,
    );
    writeFileSync(
      join(dir, 'config.yml'),
      `token: { issuer: throttle, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
throttle: { max_failures: ${MAX}, window: 1m, block: 1m }
authn:
  - { type: static, users: { "": {} } }
  - { type: plugin, module: ./counting.mjs, options: { calls: ${JSON.stringify(calls)} } }
acl: [{ match: {}, actions: [pull] }]
`,
    );
    sut = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: scannedLogger() });
  });
  afterAll(() => sut.close());

  const providerCalls = (): number => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

  /** GET /auth from a chosen loopback source address. */
  const login = (from: string, user: string | null, password = 'wrong'): Promise<{ status: number; retryAfter?: string }> =>
    new Promise((resolve, reject) => {
      const url = new URL(`${sut.url}/auth?service=registry&scope=repository:a/b:pull`);
      const req = request(url, { localAddress: from, headers: user === null ? {} : { authorization: basic(user, password) } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }));
      });
      req.on('error', reject);
      req.end();
    });

  it('refuses an address with 429 and Retry-After once it reached the limit, before any provider runs', async () => {
    for (let i = 0; i < MAX; i++) expect((await login('127.0.0.2', `user-${i}`)).status).toBe(401);
    const before = providerCalls();
    const refused = await login('127.0.0.2', 'someone-else', 'right');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(providerCalls()).toBe(before);
  });

  it('keeps memory bounded while a blocked address rotates usernames: no provider work, no new accounts', async () => {
    const before = providerCalls();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login('127.0.0.2', `rotating-${i}`)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([429]));
    expect(providerCalls()).toBe(before);
  });

  it('refuses an account attacked from many addresses, even with the right password', async () => {
    for (let i = 0; i < MAX; i++) expect((await login(`127.0.1.${i + 1}`, 'carol')).status).toBe(401);
    expect((await login('127.0.1.99', 'carol', 'right')).status).toBe(429);
  });

  it('clears the account count on success', async () => {
    for (let i = 0; i < MAX - 1; i++) expect((await login(`127.0.2.${i + 1}`, 'dave')).status).toBe(401);
    expect((await login('127.0.2.50', 'dave', 'right')).status).toBe(200);
    for (let i = 0; i < MAX - 1; i++) expect((await login(`127.0.3.${i + 1}`, 'dave')).status).toBe(401);
    expect((await login('127.0.3.50', 'dave', 'right')).status).toBe(200);
  });

  it('counts the account whatever the case of its spelling', async () => {
    for (let i = 0; i < MAX; i++) expect((await login(`127.0.4.${i + 1}`, i % 2 ? 'ERIN' : 'erin')).status).toBe(401);
    expect((await login('127.0.4.50', 'Erin', 'right')).status).toBe(429);
  });

  it('does not count anonymous requests or backend errors', async () => {
    for (let i = 0; i < MAX + 2; i++) expect((await login('127.0.5.1', null)).status).toBe(200);
    for (let i = 0; i < MAX + 2; i++) expect((await login('127.0.5.1', 'broken')).status).toBe(503);
    expect((await login('127.0.5.1', 'frank', 'right')).status).toBe(200);
  });
});
