import { mkdtempSync, writeFileSync } from 'node:fs';
import { scannedLogger } from '../support/log-scan.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { eventually, pause } from '../support/settled.js';
import { openConnection, trickle } from '../support/trickle-client.js';

/** Server limits against slow and greedy clients on a real socket (docs/security.md rule 3). */

describe('server limits', () => {
  let sut: RunningServer;
  let port: number;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-limits-'));
    writeFileSync(
      join(dir, 'config.yml'),
      `server: { request_timeout: 1500ms, header_timeout: 1s, max_connections: 3 }
token: { issuer: limits, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn: [{ type: static, users: { "": {} } }]
acl: [{ match: { account: "" }, actions: [pull] }]
`,
    );
    sut = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: scannedLogger() });
    port = Number(new URL(sut.url).port);
  });
  afterAll(() => sut.close());

  it('cuts a client that trickles its headers, with 408', async () => {
    const pieces = Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: yes\r\n`);
    const result = await trickle(port, 'GET /auth?service=registry&scope=repository:a/b:pull HTTP/1.1\r\nHost: x\r\n', pieces, 150);
    expect(result.closedByServer).toBe(true);
    expect(result.response).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a POST whose body trickles past the request deadline', async () => {
    const body = 'grant_type=password&service=registry&username=a&password=b&client_id=x&scope=repository%3Aa%2Fb%3Apull'.padEnd(120, '&');
    const head = `POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await trickle(port, head, [...body], 100);
    expect(result.closedByServer).toBe(true);
    expect(result.response).toMatch(/^HTTP\/1\.1 408/);
  });

  it('drops connections past max_connections and keeps serving the others', async () => {
    const held = await Promise.all([openConnection(port), openConnection(port), openConnection(port)]);
    const extra = await openConnection(port);
    await eventually(() => extra.closed(), 2_000);
    expect(extra.closed()).toBe(true);
    expect(held.some((c) => c.closed())).toBe(false);
    for (const c of held) c.socket.destroy();
    await pause(50);
    expect((await fetch(`${sut.url}/auth?service=registry&scope=repository:a/b:pull`)).status).toBe(200);
  });
});
