import bcrypt from 'bcrypt';
import { scannedLogger } from '../support/log-scan.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startServer, type RunningServer } from '../../src/server.js';
import { generateKeyAndCertificate } from '../../src/token/index.js';
import { basic, claimsOf } from '../support/token-server.fixture.js';

/**
 * Server settings follow a reload on the running listener: path prefix, trusted proxies, the TLS
 * certificate. What only a restart applies is reported, not ignored.
 */

const PASSWORD = 'live-settings-password';
const hash = bcrypt.hashSync(PASSWORD, 4);

interface Settings {
  readonly prefix?: string;
  readonly trusted?: string;
  readonly addr?: string;
  readonly tls?: boolean;
}

describe('server settings on reload', () => {
  let dir: string;
  let sut: RunningServer;
  const write = (s: Settings): string => {
    const file = join(dir, 'config.yml');
    const server = [
      `addr: "${s.addr ?? '127.0.0.1:0'}"`,
      ...(s.prefix ? [`path_prefix: "${s.prefix}"`] : []),
      ...(s.trusted ? [`trusted_proxies: ["${s.trusted}"]`, 'real_ip_header: X-Forwarded-For'] : []),
      ...(s.tls ? ['certificate: tls.crt', 'key: tls.key'] : []),
    ].join(', ');
    writeFileSync(
      file,
      `server: { ${server} }
token: { issuer: live, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn: [{ type: static, users: { alice: { password: "${hash}" } } }]
acl:
  - { match: { account: alice, ip: "203.0.113.0/24" }, actions: [pull, push] }
  - { match: { account: alice }, actions: [pull] }
`,
    );
    return file;
  };
  const writeTls = async (commonName: string): Promise<void> => {
    const pair = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName, days: 1 });
    writeFileSync(join(dir, 'tls.key'), pair.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-live-'));
  });
  afterEach(async () => {
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves under a new path prefix after a reload, and no longer under the old one', async () => {
    sut = await startServer({ configFile: write({ prefix: '/one' }), port: 0, logger: scannedLogger() });
    expect((await fetch(`${sut.url}/one/healthz`)).status).toBe(200);

    write({ prefix: '/two' });
    await sut.reload();

    expect((await fetch(`${sut.url}/two/healthz`)).status).toBe(200);
    expect((await fetch(`${sut.url}/two/auth?service=registry`, { headers: { authorization: basic('alice', PASSWORD) } })).status).toBe(200);
    expect((await fetch(`${sut.url}/one/healthz`)).status).toBe(404);
    expect((await fetch(`${sut.url}/healthz`)).status).toBe(404);
    expect((await fetch(`${sut.url}/twofold/healthz`)).status).toBe(404);
  });

  it('believes X-Forwarded-For from a proxy as soon as a reload names it as trusted', async () => {
    sut = await startServer({ configFile: write({ trusted: '10.0.0.0/8' }), port: 0, logger: scannedLogger() });
    const actions = async (): Promise<string[]> => {
      const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:app:pull,push`, {
        headers: { authorization: basic('alice', PASSWORD), 'x-forwarded-for': '203.0.113.9' },
      });
      return claimsOf<{ access: Array<{ actions: string[] }> }>(((await res.json()) as { token: string }).token).access.flatMap((a) => a.actions);
    };
    expect(await actions()).toEqual(['pull']);

    write({ trusted: '127.0.0.0/8' });
    await sut.reload();
    expect(await actions()).toEqual(['pull', 'push']);
  });

  it('serves a renewed TLS certificate to new connections without a restart', async () => {
    await writeTls('first.regauth.test');
    sut = await startServer({ configFile: write({ tls: true }), port: 0, logger: scannedLogger() });
    expect(await peerName(sut.url)).toBe('first.regauth.test');

    await writeTls('renewed.regauth.test');
    await sut.reload();
    expect(await peerName(sut.url)).toBe('renewed.regauth.test');
  });

  it('refuses a reload whose certificate and key do not belong together, and keeps serving the old pair', async () => {
    await writeTls('first.regauth.test');
    sut = await startServer({ configFile: write({ tls: true }), port: 0, logger: scannedLogger() });
    const other = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName: 'other', days: 1 });
    writeFileSync(join(dir, 'tls.key'), other.keyPem, { mode: 0o600 });

    await expect(sut.reload()).rejects.toThrow(/server\.key: cannot serve TLS with this certificate and key/);
    expect(await peerName(sut.url)).toBe('first.regauth.test');
  });

  it('reports a changed listen address as needing a restart in /readyz, until the file matches again', async () => {
    sut = await startServer({ configFile: write({}), port: 0, logger: scannedLogger() });
    write({ addr: '127.0.0.1:1' });
    await sut.reload();
    expect(await readyz(sut.url)).toMatchObject({ status: 'ready', restart_required: ['server.addr'] });

    write({});
    await sut.reload();
    expect(await readyz(sut.url)).not.toHaveProperty('restart_required');
  });
});

async function readyz(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request(`${url}/readyz`, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    })
      .on('error', reject)
      .end();
  });
}

/** The CN of the certificate a fresh TLS connection is shown. */
function peerName(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(Array.isArray(cn) ? cn.join(',') : String(cn));
    });
    socket.on('error', reject);
  });
}
