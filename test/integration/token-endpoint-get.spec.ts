import { createPublicKey, X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { basic, claimsOf } from '../support/token-server.fixture.js';
import { useTokenEndpoint, users } from './token-endpoint.fixture.js';

/**
 * The token endpoint over real HTTP, GET as docker-style clients send it: grants, refusals,
 * anonymous access, scope merging (docs/protocol.md checklist B, D–F).
 */

describe('token endpoint over HTTP', () => {
  const endpoint = useTokenEndpoint();
  const { get } = endpoint;

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
    expect(claims).toMatchObject({
      iss: 'it-issuer',
      aud: 'it-registry',
      sub: 'alice',
      access: [{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }],
    });
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
    const jwks = (await (await fetch(`${endpoint.sut.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    await expect(compactVerify(body.token, await importJWK(jwk!, 'ES256'))).resolves.toBeDefined();
    const leaf = new X509Certificate(Buffer.from(header.x5c![0], 'base64'));
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
    const res = await get(
      'service=it-registry&scope=repository:dev/app:pull+repository:dev/app:pull,push&scope=repository:dev/lib:pull',
      basic('alice', users.alice),
    );
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([
      { type: 'repository', name: 'dev/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'dev/lib', actions: ['pull'] },
    ]);
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

  it('serves /auth/token and /auth/token/ too (registry autoredirect)', async () => {
    for (const path of ['/auth/token', '/auth/token/']) {
      const res = await fetch(`${endpoint.sut.url}${path}?service=it-registry`, { headers: { authorization: basic('bob', users.bob) } });
      expect(res.status).toBe(200);
    }
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
    expect(await (await fetch(`${endpoint.sut.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });
});
