import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { freePort } from '../support/free-port.js';
import { startServed, type ServedProcess } from '../support/served-process.js';
import { eventually } from '../support/settled.js';
import { trickle } from '../support/trickle-client.js';
import { basic, claimsOf } from '../support/token-server.fixture.js';

/** The real binary under real signals: what an operator does with `kill -HUP` and `kill -TERM` (one process; serve-workers.spec.ts covers a cluster). */

const password = 'signal-test-password';
const hash = bcrypt.hashSync(password, 4);

function writeConfig(dir: string, port: number, actions: string[], server = ''): string {
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `server: { addr: "127.0.0.1:${port}", workers: 1, request_timeout: 60s, shutdown_timeout: 1s${server} }
token: { issuer: signals, generate_missing: true, keys: [{ key: key.pem, certificate: cert.pem }] }
services: [registry]
authn:
  - type: static
    users: { alice: { password: "${hash}" } }
  - type: command
    name: slow
    command: ${JSON.stringify(join(process.cwd(), 'test/support/scripts/slow-allow.sh'))}
    args: ["1"]
acl:
  - { match: { account: alice }, actions: ${JSON.stringify(actions)} }
  - { match: { account: slowpoke }, actions: [pull] }
`,
  );
  return file;
}

interface AccessClaim {
  access: Array<{ actions: string[] }>;
}

describe('regauth serve under signals', () => {
  let dir: string;
  let port: number;
  let sut: ServedProcess | undefined;
  const granted = async (): Promise<string[]> => {
    const res = await fetch(`${sut!.url}/auth?service=registry&scope=repository:team/app:pull,push`, { headers: { authorization: basic('alice', password) } });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    return claimsOf<AccessClaim>(token).access.flatMap((a) => a.actions);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-signals-'));
    port = await freePort();
  });
  afterEach(async () => {
    await sut?.stop();
    sut = undefined;
  });

  it('reloads on SIGHUP: the process lives, grants change, one reload is logged', async () => {
    const config = writeConfig(dir, port, ['pull']);
    sut = await startServed(['bin/regauth.js', 'serve', '--config', config], port);
    expect(await granted()).toEqual(['pull']);

    writeConfig(dir, port, ['pull', 'push']);
    sut.child.kill('SIGHUP');
    await eventually(() => sut!.logged('config reloaded').length > 0, 10_000);

    expect(sut.alive()).toBe(true);
    expect(sut.logged('config reloaded')).toHaveLength(1);
    expect((await fetch(`${sut.url}/healthz`)).status).toBe(200);
    expect(await granted()).toEqual(['pull', 'push']);
  });

  it('keeps serving the previous config when SIGHUP finds a broken file', async () => {
    const config = writeConfig(dir, port, ['pull']);
    sut = await startServed(['bin/regauth.js', 'serve', '--config', config], port);
    writeFileSync(config, 'token: { issuer: [not, a, string] }\nacl: [\n');
    sut.child.kill('SIGHUP');
    await eventually(() => sut!.logged('config reload rejected; still serving the previous config').length > 0, 10_000);

    expect(sut.alive()).toBe(true);
    expect(sut.logged('config reloaded')).toHaveLength(0);
    expect(await granted()).toEqual(['pull']);
  });

  it('drains an in-flight request on SIGTERM, then exits 0', async () => {
    const config = writeConfig(dir, port, ['pull']);
    sut = await startServed(['bin/regauth.js', 'serve', '--config', config], port);
    // The command provider takes a second to answer: the request is in flight when SIGTERM lands.
    const inFlight = fetch(`${sut.url}/auth?service=registry&scope=repository:team/app:pull`, { headers: { authorization: basic('slowpoke', 'pw') } });
    await new Promise((r) => setTimeout(r, 300));
    sut.child.kill('SIGTERM');

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await sut.exited).toEqual({ code: 0, signal: null });
    expect(sut.logged('stopping: finishing in-flight requests')).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
  });

  it('answers /readyz with 503 from SIGTERM on while it keeps serving for shutdown_delay, then exits 0', async () => {
    const config = writeConfig(dir, port, ['pull'], ', shutdown_delay: 2s');
    sut = await startServed(['bin/regauth.js', 'serve', '--config', config], port);
    expect((await fetch(`${sut.url}/readyz`)).status).toBe(200);

    sut.child.kill('SIGTERM');
    await eventually(() => sut!.logged('stopping: finishing in-flight requests').length > 0, 5_000);
    const ready = await fetch(`${sut.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    // Still serving: the listener closes only after the delay.
    expect((await fetch(`${sut.url}/healthz`)).status).toBe(200);
    expect(await granted()).toEqual(['pull']);
    expect(await sut.exited).toEqual({ code: 0, signal: null });
  });

  it('stops within shutdown_timeout even while a client trickles a body, and exits 0', async () => {
    const config = writeConfig(dir, port, ['pull']);
    sut = await startServed(['bin/regauth.js', 'serve', '--config', config], port);
    const head = 'POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\n';
    const slow = trickle(
      port,
      head,
      Array.from({ length: 200 }, () => 'a'),
      100,
    );
    await new Promise((r) => setTimeout(r, 300));
    sut.child.kill('SIGTERM');

    expect(await sut.exited).toEqual({ code: 0, signal: null });
    expect((await slow).closedByServer).toBe(true);
    expect(sut.logged('stopping: closing connections still open after shutdown_timeout')).toHaveLength(1);
  });

  it('starts from dist/main.js (the Nest entry) with REGAUTH_CONFIG and stops on SIGINT with exit 0', async () => {
    const config = writeConfig(dir, port, ['pull']);
    sut = await startServed(['dist/main.js'], port, { REGAUTH_CONFIG: config, REGAUTH_LOG_LEVEL: 'info' });
    expect(await granted()).toEqual(['pull']);
    sut.child.kill('SIGINT');
    expect(await sut.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses to start on a bad REGAUTH_LOG_LEVEL and names the variable', async () => {
    const config = writeConfig(dir, port, ['pull']);
    await expect(startServed(['bin/regauth.js', 'serve', '--config', config], port, { REGAUTH_LOG_LEVEL: 'loud' })).rejects.toThrow(/REGAUTH_LOG_LEVEL/);
  });
});
