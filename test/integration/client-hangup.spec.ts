import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { startServer, type RunningServer } from '../../src/server.js';
import { eventually } from '../support/settled.js';
import { basic, capturingLogger } from '../support/token-server.fixture.js';

/**
 * A client that hangs up before its answer gives up its place in the bcrypt queue: the compares
 * of requests nobody waits for any more must not delay the ones somebody does.
 */

const password = 'hangup-right-password';

describe('a client that closes the connection before its answer', () => {
  let sut: RunningServer;
  const logs: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-hangup-'));
    writeFileSync(
      join(dir, 'config.yml'),
      `server: { request_timeout: 20s, password_hashing: { concurrency: 1, queue: 10 } }
throttle: { enabled: false }
token: { issuer: hangup, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn:
  - type: static
    cache: 0s
    users: { alice: { password: "${bcrypt.hashSync(password, 13)}" } }
acl:
  - { match: { account: alice }, actions: [pull] }
`,
    );
    sut = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
  });
  afterAll(() => sut.close());

  const login = (signal?: AbortSignal): Promise<Response> =>
    fetch(`${sut.url}/auth?service=registry&scope=repository:team/app:pull`, { headers: { authorization: basic('alice', password) }, signal });

  it('leaves the bcrypt queue at once, and is logged as abandoned', async () => {
    const hashing = sut.snapshot().passwordHashing;
    const gone = new AbortController();
    const abandoned = Array.from({ length: 4 }, () => login(gone.signal).catch(() => 'aborted'));
    // One compare runs (a cost-13 compare takes about half a second), three wait for the slot.
    await eventually(() => hashing.running === 1 && hashing.waiting === 3, 5000);

    gone.abort();
    expect(await Promise.all(abandoned)).toEqual(['aborted', 'aborted', 'aborted', 'aborted']);
    const audits = (): Array<Record<string, unknown>> => logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === 'token');
    await eventually(() => audits().length === 4, 5000);
    expect(audits().map((l) => l.outcome)).toEqual(['abandoned', 'abandoned', 'abandoned', 'abandoned']);
    // The three that waited left the queue; at most the compare already running is left to finish.
    expect(hashing.waiting).toBe(0);

    // The next login waits for at most the one compare that was running, then gets its token.
    const next = await login();
    expect(next.status).toBe(200);
    expect(hashing.waiting).toBe(0);
  });
});
