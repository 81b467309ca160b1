import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../src/server.js';
import { basic, capturingLogger, claimsOf } from '../support/token-server.fixture.js';

/**
 * The shipped example callback service (plugins/callback-server.mjs), run as its own process,
 * behind regauth's token endpoint: the template works as documented.
 */

const EXAMPLE = fileURLToPath(new URL('../../plugins/callback-server.mjs', import.meta.url));
const CALLBACK_TOKEN = 'example-callback-bearer';
const users = { carol: { password: 'carol example pw', labels: { group: ['dev'] } } };

let work: string;
let service: ChildProcess;
let serviceUrl: string;
const servers: RunningServer[] = [];
const logLines: string[] = [];

const accessOf = async (res: Response): Promise<unknown> => claimsOf(((await res.json()) as { token: string }).token).access;

async function startRegauth(token: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(work, 'regauth-'));
  writeFileSync(
    join(dir, 'config.yml'),
    `token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
authn:
  - { type: http, url: "${serviceUrl}/authn", headers: { Authorization: "Bearer ${token}" }, timeout: 2s }
authz:
  - { type: http, url: "${serviceUrl}/authz", headers: { Authorization: "Bearer ${token}" }, timeout: 2s }
`,
  );
  const server = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: capturingLogger(logLines) });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'regauth-callback-example-'));
  service = spawn(process.execPath, [EXAMPLE], {
    env: { PATH: process.env.PATH, PORT: '0', CALLBACK_TOKEN, CALLBACK_USERS: JSON.stringify(users) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  serviceUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    service.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    service.once('exit', (code) => reject(new Error(`example callback server exited (${code})`)));
  });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  if (service.exitCode === null && service.signalCode === null) {
    const exited = new Promise((resolve) => service.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('example callback server behind the token endpoint', () => {
  let sut: RunningServer;
  beforeAll(async () => {
    sut = await startRegauth(CALLBACK_TOKEN);
  });

  it('logs carol in and grants pull elsewhere, push under her own name', async () => {
    const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:carol/app:pull,push&scope=repository:team/app:pull,push`, {
      headers: { authorization: basic('carol', users.carol.password) },
    });
    expect(res.status).toBe(200);
    expect(await accessOf(res)).toEqual([
      { type: 'repository', name: 'carol/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'team/app', actions: ['pull'] },
    ]);
  });

  it('refuses a wrong password with 401', async () => {
    const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:carol/app:pull`, { headers: { authorization: basic('carol', 'not it') } });
    expect(res.status).toBe(401);
  });

  it('refuses an unknown user with 401', async () => {
    const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:carol/app:pull`, { headers: { authorization: basic('mallory', 'x') } });
    expect(res.status).toBe(401);
  });
});

describe('example callback server with a wrong bearer token', () => {
  it('makes regauth answer 503: the service refuses it, which is a failure, not a wrong password', async () => {
    const sut = await startRegauth('not-the-token');
    const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:carol/app:pull`, {
      headers: { authorization: basic('carol', users.carol.password) },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });
});

describe('example callback server with a body of the wrong shape', () => {
  const post = (path: string, body: string): Promise<Response> =>
    fetch(`${serviceUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${CALLBACK_TOKEN}`, 'content-type': 'application/json' }, body });

  it.each([
    ['/authn', 'null'],
    ['/authn', '[]'],
    ['/authn', '"carol"'],
    ['/authn', '{"account": "carol"}'],
    ['/authn', '{"account": 1, "password": "x"}'],
    ['/authz', 'null'],
    ['/authz', '{"account": "carol", "type": "repository", "name": "carol/app"}'],
    ['/authz', '{"account": "carol", "type": "repository", "name": 7, "actions": ["pull"]}'],
    ['/authz', '{"account": "carol", "type": "repository", "name": "carol/app", "actions": "pull"}'],
  ])('answers 400 to POST %s with %s, and keeps serving', async (path, body) => {
    expect((await post(path, body)).status).toBe(400);
    const next = await post('/authn', JSON.stringify({ account: 'carol', password: users.carol.password }));
    expect(await next.json()).toEqual({ result: 'allow', labels: users.carol.labels, account: 'carol' });
  });
});

describe('logs', () => {
  it('carry neither the passwords nor the bearer tokens of the calls above', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [users.carol.password, 'not it', CALLBACK_TOKEN, 'not-the-token']) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});
