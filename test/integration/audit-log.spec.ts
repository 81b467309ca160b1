import bcrypt from 'bcrypt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { basic, capturingLogger } from '../support/token-server.fixture.js';

/** "Why was this push refused?" answered from the audit line alone (docs/operations.md, Logs). */

const PASSWORD = 'audit-password';

describe('audit line', () => {
  let dir: string;
  let sut: RunningServer;
  const logs: string[] = [];
  const audits = (): Array<Record<string, unknown>> => logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === 'token');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-audit-'));
    writeFileSync(
      join(dir, 'config.yml'),
      `token: { issuer: audit, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn: [{ name: users, type: static, users: { alice: { password: "${bcrypt.hashSync(PASSWORD, 4)}" } } }]
acl:
  - { match: { account: alice, name: "prod/*" }, actions: [pull], comment: production images are pushed by CI only }
  - { match: { account: alice }, actions: [pull, push] }
`,
    );
    sut = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
  });
  afterAll(async () => {
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the ACL entry and its comment for a refused push, at info level', async () => {
    const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:prod/api:push,pull&scope=repository:dev/api:push`, {
      headers: { authorization: basic('alice', PASSWORD) },
    });
    expect(res.status).toBe(200);
    const line = audits().at(-1)!;
    expect(line).toMatchObject({
      level: 'info',
      outcome: 'granted',
      account: 'alice',
      provider: 'users',
      decisions: [
        { scope: 'repository:prod/api', requested: ['pull', 'push'], granted: ['pull'], by: 'acl[0]', rule: 'production images are pushed by CI only' },
        { scope: 'repository:dev/api', requested: ['push'], granted: ['push'], by: 'acl[1]' },
      ],
      jti: expect.any(String),
      request_id: expect.any(String),
      ip: '127.0.0.1',
    });
  });

  it('records a wrong password with its reason, never the password', async () => {
    await fetch(`${sut.url}/auth?service=registry&scope=repository:dev/api:pull`, { headers: { authorization: basic('alice', 'Wrong-audit-pw') } });
    expect(audits().at(-1)).toMatchObject({ level: 'info', outcome: 'denied', account: 'alice', reason: 'wrong password (provider users)' });
    expect(logs.join('\n')).not.toContain('Wrong-audit-pw');
  });
});
