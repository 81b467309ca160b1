import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { startServer, type RunningServer } from '../../src/server.js';
import { script } from '../support/scripts/leftover-processes.js';
import { basic, capturingLogger } from '../support/token-server.fixture.js';

/**
 * A flood of wrong passwords over real HTTP against bounded bcrypt work (docs/security.md rule 8):
 * compares never exceed the bound, the overflow is shed with 503 + Retry-After, nothing answers
 * 500, and a user of a later provider still gets in during the flood.
 */

const FLOOD = 40;
const alicePassword = 'flood-right-password';

describe('a flood of wrong passwords', () => {
  let sut: RunningServer;
  const logs: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-flood-'));
    writeFileSync(
      join(dir, 'config.yml'),
      `server: { request_timeout: 5s, password_hashing: { concurrency: 1, queue: 4 } }
throttle: { enabled: false }
token: { issuer: flood, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn:
  - type: static
    users: { alice: { password: "${bcrypt.hashSync(alicePassword, 10)}" } }
  - { type: command, name: robots, command: "${script('exit-with.sh')}", args: ["0"] }
acl:
  - { match: { account: "/.+/" }, actions: [pull] }
`,
    );
    sut = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
  });
  afterAll(() => sut.close());

  const login = (user: string, password: string): Promise<Response> =>
    fetch(`${sut.url}/auth?service=registry&scope=repository:team/app:pull`, { headers: { authorization: basic(user, password) } });

  it('keeps compares within the bound, sheds the overflow with 503, and still serves a later provider', async () => {
    const hashing = sut.snapshot().passwordHashing;
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, hashing.running)), 1);
    const flood = Array.from({ length: FLOOD }, (_, i) => login('alice', `wrong-${i}`));
    const robot = login('robot-7', 'robot-token');
    const answers = await Promise.all(flood);
    clearInterval(sample);

    const statuses = answers.map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set([401, 503]));
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    for (const r of answers.filter((a) => a.status === 503)) expect(r.headers.get('retry-after')).toBe('5');
    expect(most).toBe(1);
    expect((await robot).status).toBe(200);
  });

  it('lets the right password in once the flood is over', async () => {
    expect((await login('alice', alicePassword)).status).toBe(200);
  });

  it('logs no password of the flood', () => {
    expect(logs.join('\n')).not.toMatch(/wrong-\d|flood-right-password/);
  });
});
