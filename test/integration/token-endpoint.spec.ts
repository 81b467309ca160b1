import bcrypt from 'bcrypt';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';

/** The token endpoint over real HTTP, as clients call it (protocol.md checklist A–F, I). */

const users = { admin: 'admin-pw', alice: 'alice: pw with spaces', bob: 'bob-pw' };
const slowHash = bcrypt.hashSync('slow-pw', 14);

function writeConfig(dir: string, extraUsers = true): string {
  const hash = (pw: string): string => bcrypt.hashSync(pw, 4);
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `
server: { addr: "127.0.0.1:0" }
token:
  issuer: "it-issuer"
  expiration: 300
  generate_missing: true
  keys: [{ key: keys/key.pem, certificate: keys/cert.pem }]
  refresh: { secrets: [keys/refresh.secret] }
services: ["it-registry", "other-registry"]
authn:
  - type: static
    users:
      admin: { password: "${hash(users.admin)}" }
      alice: { password: "${hash(users.alice)}", labels: { team: [dev] } }
      slowpoke: { password: "${slowHash}" }
${extraUsers ? `      bob: { password: "${hash(users.bob)}" }\n` : ''}      "": {}
acl:
  - { match: { account: admin }, actions: ["*"] }
  - { match: { labels: { team: dev }, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: "", name: "public/*" }, actions: [pull] }
  - { match: { account: "/.+/" }, actions: [pull] }
`,
  );
  return file;
}

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe('token endpoint over HTTP', () => {
  let dir: string;
  let configFile: string;
  let sut: RunningServer;

  const get = (query: string, auth?: string): Promise<Response> =>
    fetch(`${sut.url}/auth?${query}`, { headers: auth ? { authorization: auth } : {} });
  const post = (form: Record<string, string | string[]>, opts: { auth?: string; contentType?: string } = {}): Promise<Response> => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const item of [v].flat()) body.append(k, item);
    return fetch(`${sut.url}/auth`, {
      method: 'POST',
      headers: { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded', ...(opts.auth ? { authorization: opts.auth } : {}) },
      body: body.toString(),
    });
  };
  const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

  const logLines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-it-'));
    configFile = writeConfig(dir);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    sut = await startServer({ configFile, host: '127.0.0.1', port: 0, logger: createLogger('debug', sink) });
  });
  afterAll(async () => {
    await sut?.close();
    // Security rule 22: whatever happened above, no password or token reached a log line.
    const secrets = [...Object.values(users), 'N0pe-pw-7', 'Wr0ng-pw-9'];
    for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
    expect(logLines.some((l) => l.includes('"audit":"token"'))).toBe(true);
  });

  it('grants a valid user the requested scope with a registry-shaped token', async () => {
    const res = await get('service=it-registry&scope=repository:dev/app:pull,push', basic('alice', users.alice));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.token).toBe(body.access_token);
    expect(body.expires_in).toBe(300);
    expect(body.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const claims = claimsOf(body.token as string);
    expect(claims).toMatchObject({ iss: 'it-issuer', aud: 'it-registry', sub: 'alice', access: [{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }] });
    expect(Number.isInteger(claims.exp) && Number.isInteger(claims.iat) && Number.isInteger(claims.nbf)).toBe(true);
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
  });

  it('signs with a key the JWKS publishes, libtrust kid and x5c in the header', async () => {
    const body = (await (await get('service=it-registry', basic('admin', users.admin))).json()) as { token: string };
    const header = decodeProtectedHeader(body.token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'ES256' });
    expect(header.kid).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(header.x5c).toHaveLength(1);
    expect(header).not.toHaveProperty('jwk');
    const jwks = (await (await fetch(`${sut.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    await expect(compactVerify(body.token, await importJWK(jwk!, 'ES256'))).resolves.toBeDefined();
    const leaf = new X509Certificate(Buffer.from(header.x5c![0]!, 'base64'));
    expect(leaf.publicKey.equals(createPublicKey({ key: jwk as never, format: 'jwk' }))).toBe(true);
  });

  it('answers a login without scope with an empty access list', async () => {
    const res = await get('service=it-registry', basic('bob', users.bob));
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([]);
  });

  it('returns a refresh token to docker login (offline_token=true)', async () => {
    const res = await get('account=bob&client_id=docker&offline_token=true&service=it-registry', basic('bob', users.bob));
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).refresh_token).toEqual(expect.any(String));
  });

  it('does not return a refresh token unless asked', async () => {
    const body = (await (await get('service=it-registry', basic('bob', users.bob))).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('refresh_token');
  });

  it.each([
    ['a wrong password', basic('alice', 'N0pe-pw-7')],
    ['an unknown user', basic('mallory', 'N0pe-pw-7')],
    ['an empty password', basic('alice', '')],
    ['an empty user', basic('', 'x')],
  ])('refuses %s with 401, a Basic challenge and a JSON error', async (_case, auth) => {
    const res = await get('service=it-registry&scope=repository:dev/app:pull', auth);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="it-issuer"');
    expect(await res.json()).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'authentication required: invalid username or password' }],
      details: 'authentication required: invalid username or password',
    });
  });

  it('answers 400 for two Authorization headers', async () => {
    // fetch would fold them into one; a raw request sends both, as a confused proxy might.
    const { port } = new URL(sut.url);
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end(
          `GET /auth?service=it-registry HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
            `Authorization: ${basic('bob', users.bob)}\r\nAuthorization: ${basic('admin', users.admin)}\r\n\r\n`,
        );
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('refuses an anonymous request without scope (a credential-less login)', async () => {
    expect((await get('service=it-registry')).status).toBe(401);
  });

  it('grants anonymous pull of a public repository and nothing elsewhere', async () => {
    const res = await get('service=it-registry&scope=repository:public/base:pull&scope=repository:dev/app:pull');
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as { token: string }).token)).toMatchObject({
      sub: '',
      access: [{ type: 'repository', name: 'public/base', actions: ['pull'] }],
    });
  });

  it('grants the intersection of requested and allowed actions', async () => {
    const res = await get('service=it-registry&scope=repository:prod/app:pull,push,delete', basic('alice', users.alice));
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([{ type: 'repository', name: 'prod/app', actions: ['pull'] }]);
  });

  it('merges space-joined and repeated scopes per resource', async () => {
    const res = await get('service=it-registry&scope=repository:dev/app:pull+repository:dev/app:pull,push&scope=repository:dev/lib:pull', basic('alice', users.alice));
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([
      { type: 'repository', name: 'dev/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'dev/lib', actions: ['pull'] },
    ]);
  });

  it('answers 400 when the scopes together exceed the size cap', async () => {
    const scopes = Array.from({ length: 20 }, (_, i) => `scope=repository:team/${'x'.repeat(240)}${i}:pull`).join('&');
    expect((await get(`service=it-registry&${scopes}`, basic('admin', users.admin))).status).toBe(400);
  });

  it('answers 405 with the JSON error shape for other methods on the token path', async () => {
    const res = await fetch(`${sut.url}/auth?service=it-registry`, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNSUPPORTED');
  });

  it('answers HEAD without running the grant', async () => {
    expect((await fetch(`${sut.url}/auth?service=it-registry`, { method: 'HEAD', headers: { authorization: basic('bob', users.bob) } })).status).toBe(405);
  });

  it('answers unknown paths with a JSON 404 that does not echo the URL', async () => {
    const res = await fetch(`${sut.url}/nope/<script>`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('script');
  });

  it('answers 413 in the JSON error shape for an oversized body', async () => {
    const res = await post({ grant_type: 'password', username: 'bob', password: 'x'.repeat(70_000), service: 'it-registry' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { details: string }).details).toBe('request body too large');
  });

  it('grants the catalog only where an ACL entry gives "*"', async () => {
    const admin = await get('service=it-registry&scope=registry:catalog:*', basic('admin', users.admin));
    const bob = await get('service=it-registry&scope=registry:catalog:*', basic('bob', users.bob));
    expect(claimsOf(((await admin.json()) as { token: string }).token).access).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    expect(claimsOf(((await bob.json()) as { token: string }).token).access).toEqual([]);
  });

  it('grants nothing for an invalid repository name but still answers 200', async () => {
    const res = await get('service=it-registry&scope=repository:Dev/App:pull', basic('admin', users.admin));
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([]);
  });

  it('answers 400 for a scope that cannot be parsed', async () => {
    const res = await get('service=it-registry&scope=repository-without-actions', basic('admin', users.admin));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('answers 400 when account differs from the Basic user', async () => {
    expect((await get('service=it-registry&account=admin', basic('bob', users.bob))).status).toBe(400);
  });

  it('answers 400 for a service outside the allow-list', async () => {
    expect((await get('service=evil&scope=repository:dev/app:pull', basic('admin', users.admin))).status).toBe(400);
  });

  it('answers 400 for a missing service when several are configured', async () => {
    expect((await get('scope=repository:dev/app:pull', basic('admin', users.admin))).status).toBe(400);
  });

  it('serves /auth/token and /auth/token/ too (registry autoredirect)', async () => {
    for (const path of ['/auth/token', '/auth/token/']) {
      const res = await fetch(`${sut.url}${path}?service=it-registry`, { headers: { authorization: basic('bob', users.bob) } });
      expect(res.status).toBe(200);
    }
  });

  it('accepts an OAuth2 password grant with a charset in the content type (containerd)', async () => {
    const res = await post(
      { grant_type: 'password', username: 'alice', password: users.alice, service: 'it-registry', client_id: 'containerd-client', scope: 'repository:dev/app:pull repository:dev/app:pull,push' },
      { contentType: 'application/x-www-form-urlencoded; charset=utf-8' },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string };
    expect(claimsOf(body.access_token).access).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
  });

  it('refuses an OAuth2 password grant with a wrong password with 401 (helm login)', async () => {
    const res = await post({ grant_type: 'password', username: 'alice', password: 'Wr0ng-pw-9', service: 'it-registry', client_id: 'oras-go' });
    expect(res.status).toBe(401);
  });

  it('exchanges a refresh token, with repeated scope fields (containers/image)', async () => {
    const login = (await (await post({ grant_type: 'password', username: 'alice', password: users.alice, service: 'it-registry', client_id: 'x', access_type: 'offline' })).json()) as { refresh_token: string };
    const res = await post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: 'it-registry', client_id: 'containers/image', scope: ['repository:dev/a:pull', 'repository:dev/b:push'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(body).not.toHaveProperty('refresh_token');
    expect(claimsOf(body.access_token!)).toMatchObject({
      sub: 'alice',
      access: [
        { type: 'repository', name: 'dev/a', actions: ['pull'] },
        { type: 'repository', name: 'dev/b', actions: ['push'] },
      ],
    });
  });

  it('refuses a refresh token presented for another service', async () => {
    const login = (await (await post({ grant_type: 'password', username: 'alice', password: users.alice, service: 'it-registry', client_id: 'x', access_type: 'offline' })).json()) as { refresh_token: string };
    expect((await post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: 'other-registry', client_id: 'x' })).status).toBe(401);
  });

  it('refuses an unknown refresh token with 401', async () => {
    expect((await post({ grant_type: 'refresh_token', refresh_token: 'garbage', service: 'it-registry', client_id: 'x' })).status).toBe(401);
  });

  it('refuses an access token used as a refresh token', async () => {
    const body = (await (await get('service=it-registry', basic('bob', users.bob))).json()) as { token: string };
    expect((await post({ grant_type: 'refresh_token', refresh_token: body.token, service: 'it-registry', client_id: 'x' })).status).toBe(401);
  });

  it('answers 400 for a POST whose body is not a form', async () => {
    const res = await fetch(`${sut.url}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: 'bob', password: users.bob, service: 'it-registry' }),
    });
    expect(res.status).toBe(400);
  });

  it('answers 400 unsupported_grant_type for other grants', async () => {
    const res = await post({ grant_type: 'client_credentials', service: 'it-registry', client_id: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('accepts a POST with Basic credentials and no username field (docker_auth behaviour)', async () => {
    const res = await post({ grant_type: 'password', service: 'it-registry', client_id: 'x' }, { auth: basic('bob', users.bob) });
    expect(res.status).toBe(200);
  });

  it('keeps answering anonymous requests while a slow bcrypt runs', async () => {
    // slowpoke's hash has cost 14 (about a second): if bcrypt blocked the event loop, the
    // anonymous request sent after it would finish after it.
    const order: string[] = [];
    const slow = get('service=it-registry', basic('slowpoke', 'slow-pw')).then((r) => order.push(`slow:${r.status}`));
    await new Promise((r) => setTimeout(r, 20));
    await get('service=it-registry&scope=repository:public/base:pull').then((r) => order.push(`anonymous:${r.status}`));
    await slow;
    expect(order).toEqual(['anonymous:200', 'slow:200']);
  });

  it('answers health checks without touching backends', async () => {
    expect(await (await fetch(`${sut.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('refuses the refresh token of a user removed from the config after a reload', async () => {
    const login = (await (await get('offline_token=true&service=it-registry', basic('bob', users.bob))).json()) as { refresh_token: string };
    writeConfig(dir, false);
    await sut.reload();
    try {
      expect((await post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: 'it-registry', client_id: 'x' })).status).toBe(401);
    } finally {
      writeConfig(dir, true);
      await sut.reload();
    }
  });
});
