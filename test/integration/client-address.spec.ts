import { mkdtempSync, writeFileSync } from 'node:fs';
import { scannedLogger } from '../support/log-scan.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { claimsOf } from '../support/token-server.fixture.js';

/** Which client address the ACL sees, over real HTTP from 127.0.0.1 (docs/security.md rule 3). */

async function serve(server: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-client-ip-'));
  writeFileSync(
    join(dir, 'config.yml'),
    `server: ${server}
token: { issuer: ip, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn: [{ type: static, users: { "": {} } }]
acl:
  - { match: { ip: 10.0.0.0/8 }, actions: [pull, push] }
  - { match: {}, actions: [pull] }
`,
  );
  return startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: scannedLogger() });
}

const granted = async (res: Response): Promise<string[]> =>
  claimsOf<{ access: Array<{ actions: string[] }> }>(((await res.json()) as { token: string }).token).access[0].actions;

describe('client address', () => {
  const ask = (sut: RunningServer, headers: Record<string, string>) => fetch(`${sut.url}/auth?service=registry&scope=repository:a/b:pull,push`, { headers });

  it('ignores X-Forwarded-For and real_ip_header from a client that is not a trusted proxy', async () => {
    const sut = await serve('{ trusted_proxies: ["10.0.0.0/8"], real_ip_header: X-Real-IP }');
    try {
      expect(await granted(await ask(sut, { 'x-forwarded-for': '10.0.0.5' }))).toEqual(['pull']);
      expect(await granted(await ask(sut, { 'x-real-ip': '10.0.0.5' }))).toEqual(['pull']);
    } finally {
      await sut.close();
    }
  });

  it('believes a trusted proxy, and answers 400 when what it forwards is not an address', async () => {
    const sut = await serve('{ trusted_proxies: ["127.0.0.0/8"] }');
    try {
      expect(await granted(await ask(sut, { 'x-forwarded-for': '10.0.0.5' }))).toEqual(['pull', 'push']);
      const garbage = await ask(sut, { 'x-forwarded-for': 'not-an-address' });
      expect(garbage.status).toBe(400);
    } finally {
      await sut.close();
    }
  });

  it('keeps docker_auth behaviour when asked to (real_ip_from: any), and refuses a value that is not an address', async () => {
    const sut = await serve('{ real_ip_header: X-Real-IP, real_ip_from: any }');
    try {
      expect(await granted(await ask(sut, { 'x-real-ip': '10.0.0.5' }))).toEqual(['pull', 'push']);
      expect((await ask(sut, { 'x-real-ip': 'nonsense' })).status).toBe(400);
    } finally {
      await sut.close();
    }
  });
});
