import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, importJWK, SignJWT, type KeyObject } from 'jose';
import { pause, timed } from '../support/settled.js';
import { newKey, startIssuer, type LocalIssuer } from '../support/oidc-issuer.js';
import { basic, claimsOf, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';

/**
 * The oidc provider against a real local issuer (discovery, JWKS, tokens minted with jose): what
 * a CI job's id token gets, and every way a token is refused (docs/ci-workload-identity.md).
 */

const AUDIENCE = 'https://registry.example.test';
const job = { sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/app', repository_owner: 'acme', ref: 'refs/heads/main', aud: AUDIENCE };

function writeConfig(issuer: string, { refresh = false } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-oidc-'));
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `server: { request_timeout: 2s }
token: { issuer: oidc-test, generate_missing: true, keys: [{ key: k.pem }]${refresh ? ', refresh: { secrets: [refresh.secret] }' : ''} }
services: [registry]
authn:
  - name: ci
    type: oidc
    cache: 0s
    refetch_interval: 1s
    timeout: 10s
    refresh: ${refresh}
    issuers:
      - issuer: "${issuer}"
        audience: "${AUDIENCE}"
        account: "\${repository}"
        labels: { owner: repository_owner, ref: ref }
        conditions: { repository_owner: acme }
acl:
  - { match: { labels: { owner: acme }, name: "acme/**" }, actions: [pull, push] }
`,
  );
  return file;
}

/** A fresh issuer and a server that trusts it, for one describe block. */
async function issuerAndServer(): Promise<{ issuer: LocalIssuer; h: LoggedServer }> {
  const issuer = await startIssuer();
  return { issuer, h: await serveWithLogs(writeConfig(issuer.url)) };
}

describe('oidc provider with a local issuer', () => {
  let issuer: LocalIssuer;
  let h: LoggedServer;

  beforeAll(async () => {
    ({ issuer, h } = await issuerAndServer());
  });
  afterAll(async () => {
    await h.server.close();
  });

  const push = (token: string, user = 'ci', repo = 'acme/app'): Promise<Response> =>
    h.get(`service=registry&scope=repository:${repo}:pull,push`, basic(user, token));
  const granted = async (res: Response): Promise<string[]> => {
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    return claimsOf<{ access: Array<{ actions: string[] }> }>(token).access.flatMap((a) => a.actions);
  };
  const lastAudit = (): { outcome?: string; reason?: string; account?: string } =>
    JSON.parse(h.logs.filter((l) => l.includes('"audit":"token"')).at(-1)!) as { outcome?: string; reason?: string; account?: string };
  const refused = async (token: string, reason: string): Promise<void> => {
    const res = await push(token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await res.json()).toEqual(expect.objectContaining({ details: 'authentication required: invalid username or password' }));
    expect(lastAudit().reason).toContain(reason);
    expect(h.logs.join('\n')).not.toContain(token);
  };

  it("grants what the ACL gives the token's labels, with the account from the claims", async () => {
    expect(await granted(await push(await issuer.mint(job)))).toEqual(['pull', 'push']);
    expect(lastAudit()).toEqual(expect.objectContaining({ outcome: 'granted', account: 'acme/app' }));
  });

  it("takes the token as the OAuth2 password grant's password too (containerd, BuildKit)", async () => {
    const res = await h.post({
      grant_type: 'password',
      username: 'ci',
      password: await issuer.mint(job),
      service: 'registry',
      scope: 'repository:acme/app:pull',
      client_id: 'buildkit',
    });
    expect(await granted(res)).toEqual(['pull']);
    expect(lastAudit()).toEqual(expect.objectContaining({ outcome: 'granted', account: 'acme/app' }));
  });

  it('grants nothing on a repository the labels do not cover', async () => {
    expect(await granted(await push(await issuer.mint(job), 'ci', 'other/app'))).toEqual([]);
  });

  it('takes a real-sized token, longer than any password', async () => {
    const token = await issuer.mint({ ...job, padding: 'x'.repeat(3000) });
    expect(token.length).toBeGreaterThan(4000);
    expect(await granted(await push(token))).toEqual(['pull', 'push']);
  });

  it('refuses a token over 16 KiB with 400 before verifying it', async () => {
    const res = await push(await issuer.mint({ ...job, padding: 'x'.repeat(17_000) }));
    expect(res.status).toBe(400);
  });

  it('refuses a token for another audience', async () => {
    await refused(await issuer.mint({ ...job, aud: 'https://elsewhere' }), 'wrong audience');
  });

  it('refuses a token from an issuer that is not configured', async () => {
    await refused(await issuer.mint({ ...job, iss: 'https://token.actions.githubusercontent.com' }), 'not configured');
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await issuer.mint({ ...job, iat: now - 600, exp: now - 120 }), 'token expired');
  });

  it('refuses a token that is not valid yet', async () => {
    await refused(await issuer.mint({ ...job, nbf: Math.floor(Date.now() / 1000) + 600 }), 'not yet valid');
  });

  it('refuses a token older than max_token_age, even if not expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await issuer.mint({ ...job, iat: now - 7200, exp: now + 600 }), 'too old');
  });

  it('refuses an unsigned token (alg none)', async () => {
    const encode = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    await refused(`${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...job, iss: issuer.url, iat: now, exp: now + 300 })}.`, 'algorithm not allowed');
  });

  it("refuses HS256 signed with the issuer's public key as the secret", async () => {
    const pem = await exportSPKI((await importJWK(issuer.currentKey.jwk, 'ES256')) as KeyObject);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ ...job, iss: issuer.url, iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.currentKey.kid })
      .sign(new TextEncoder().encode(pem));
    await refused(forged, 'algorithm not allowed');
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    await refused(await issuer.mint(job, { key: await newKey() }), 'no key matches');
  });

  it('refuses a token whose claims miss a condition, e.g. from another owner on the same issuer', async () => {
    await refused(await issuer.mint({ ...job, repository: 'evil/app', repository_owner: 'evil' }), 'claim repository_owner does not meet');
  });

  it('leaves a password that is not a JWT to the other providers (none here: 401)', async () => {
    const res = await push('not-a-jwt-at-all');
    expect(res.status).toBe(401);
    expect(lastAudit().reason).toBe('no provider knows this user');
  });

  it('follows a key rotation at the issuer without a restart', async () => {
    await pause(1100); // past refetch_interval since the last fetch
    const before = issuer.jwksFetches;
    await issuer.rotate();
    expect(await granted(await push(await issuer.mint(job)))).toEqual(['pull', 'push']);
    expect(issuer.jwksFetches).toBe(before + 1);
  });

  it('asks for the keys again at most once per refetch_interval, however many unknown key ids arrive', async () => {
    await pause(1100);
    const before = issuer.jwksFetches;
    const stranger = await newKey();
    for (let i = 0; i < 5; i++) expect((await push(await issuer.mint(job, { key: stranger }))).status).toBe(401);
    expect(issuer.jwksFetches).toBe(before + 1);
  });

  it('goes on with the keys it has while the issuer is down', async () => {
    await issuer.stop();
    try {
      expect(await granted(await push(await issuer.mint(job)))).toEqual(['pull', 'push']);
    } finally {
      await issuer.start();
    }
  });
});

describe('oidc provider when the issuer cannot be reached', () => {
  let issuer: LocalIssuer;
  let h: LoggedServer;
  beforeAll(async () => {
    ({ issuer, h } = await issuerAndServer());
  });
  afterAll(async () => {
    await h.server.close();
  });

  it('answers 503, not 401, when it has no keys and the issuer is down', async () => {
    const token = await issuer.mint(job);
    await issuer.stop();
    try {
      const res = await h.get('service=registry&scope=repository:acme/app:pull', basic('ci', token));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
    } finally {
      await issuer.start();
    }
  });

  it('answers 503 within the request deadline when the keys are slower than it', async () => {
    issuer.delayJwks(5000);
    try {
      const { ms, result } = await timed(h.get('service=registry&scope=repository:acme/app:pull', basic('ci', await issuer.mint(job))));
      expect(result.status === 'fulfilled' && result.value.status).toBe(503);
      expect(ms).toBeLessThan(3500);
    } finally {
      issuer.delayJwks(0);
    }
  });
});

describe('oidc provider and refresh tokens', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });

  const offlineLogin = async (h: LoggedServer, token: string): Promise<Record<string, unknown>> => {
    const res = await h.get('service=registry&offline_token=true&scope=repository:acme/app:pull', basic('ci', token));
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('issues none by default: a CI identity should not outlive its job', async () => {
    const h = await serveWithLogs(writeConfig(issuer.url));
    try {
      expect(await offlineLogin(h, await issuer.mint(job))).not.toHaveProperty('refresh_token');
    } finally {
      await h.server.close();
    }
  });

  it('with refresh: true, issues one that expires with the id token and grants by the labels it carries', async () => {
    const h = await serveWithLogs(writeConfig(issuer.url, { refresh: true }));
    try {
      const idToken = await issuer.mint(job, { lifetimeSeconds: 600 });
      const { refresh_token } = (await offlineLogin(h, idToken)) as { refresh_token: string };
      expect(claimsOf(refresh_token).exp).toBe(claimsOf(idToken).exp);
      const res = await h.post({ grant_type: 'refresh_token', refresh_token, service: 'registry', client_id: 'ci', scope: 'repository:acme/app:pull,push' });
      expect(claimsOf<{ access: Array<{ actions: string[] }> }>(((await res.json()) as { token: string }).token).access[0].actions).toEqual(['pull', 'push']);
    } finally {
      await h.server.close();
    }
  });
});

describe('oidc provider under the failed-login throttle', () => {
  let issuer: LocalIssuer;
  let h: LoggedServer;

  beforeAll(async () => {
    issuer = await startIssuer();
    const file = join(mkdtempSync(join(tmpdir(), 'regauth-oidc-')), 'config.yml');
    writeFileSync(
      file,
      `server: { trusted_proxies: ["127.0.0.0/8"], real_ip_header: X-Forwarded-For }
token: { issuer: oidc-test, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
throttle: { max_failures: 3 }
authn:
  - { name: ci, type: oidc, user: oidc, cache: 0s, issuers: [{ issuer: "${issuer.url}", audience: "${AUDIENCE}", account: "\${repository}", conditions: { repository_owner: acme } }] }
acl:
  - { match: { account: "acme/app" }, actions: [pull] }
`,
    );
    h = await serveWithLogs(file);
  });
  afterAll(async () => {
    await h.server.close();
  });

  const login = (from: string, token: string): Promise<Response> =>
    fetch(`${h.server.url}/auth?service=registry&scope=repository:acme/app:pull`, {
      headers: { authorization: basic('oidc', token), 'x-forwarded-for': from },
    });

  // Every job logs in as "oidc": counting that name would let anyone lock out the whole fleet.
  it('blocks the address that sent bad tokens, not the user name every CI job shares', async () => {
    const forged = await issuer.mint(job, { key: await newKey() });
    for (let i = 0; i < 3; i++) expect((await login('10.0.0.1', forged)).status).toBe(401);

    expect((await login('10.0.0.1', await issuer.mint(job))).status).toBe(429);
    expect((await login('10.0.0.2', await issuer.mint(job))).status).toBe(200);
  });
});
