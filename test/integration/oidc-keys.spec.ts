import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, pause } from '../support/settled.js';
import { startIssuer, type LocalIssuer } from '../support/oidc-issuer.js';
import { basic, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';

/**
 * Where the oidc provider gets an issuer's keys and how long it keeps them: the issuer's
 * Cache-Control within refetch_interval and keys_max_age, a JWKS file for issuers it cannot reach
 * (a Kubernetes cluster's), and discovery documents that must name the issuer they describe.
 */

const AUDIENCE = 'regauth';
const claims = { sub: 'system:serviceaccount:ci:builder', aud: AUDIENCE, 'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'builder' } } };

function serve(issuerLines: string): Promise<LoggedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-oidc-keys-'));
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `token: { issuer: oidc-keys, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn:
  - name: cluster
    type: oidc
    cache: 0s
    refetch_interval: 1s
    issuers:
      - preset: kubernetes
        audience: ${AUDIENCE}
        conditions: { sub: "system:serviceaccount:ci:*" }
${issuerLines}
acl:
  - { match: { labels: { namespace: ci } }, actions: [pull] }
`,
  );
  return serveWithLogs(file);
}

const pull = (h: LoggedServer, token: string): Promise<number> =>
  h.get('service=registry&scope=repository:ci/app:pull', basic('oidc', token)).then(async (res) => (await res.arrayBuffer(), res.status));

describe('oidc issuer keys', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });

  it('verifies with a JWKS file, fetching nothing (an air-gapped cluster)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-jwks-'));
    writeFileSync(join(dir, 'cluster-jwks.json'), JSON.stringify({ keys: [issuer.currentKey.jwk] }));
    const h = await serve(`        issuer: https://kubernetes.default.svc.cluster.local\n        jwks_file: ${join(dir, 'cluster-jwks.json')}`);
    try {
      const before = issuer.jwksFetches;
      expect(await pull(h, await issuer.mint({ ...claims, iss: 'https://kubernetes.default.svc.cluster.local' }))).toBe(200);
      expect(issuer.jwksFetches).toBe(before);
    } finally {
      await h.server.close();
    }
  });

  /** A server trusting the issuer, which answers its key fetches with `cacheControl` meanwhile. */
  async function withCacheControl(cacheControl: string, run: (h: LoggedServer) => Promise<void>): Promise<void> {
    const h = await serve(`        issuer: "${issuer.url}"`);
    issuer.cacheControl(cacheControl);
    try {
      await run(h);
    } finally {
      issuer.cacheControl(undefined);
      await h.server.close();
    }
  }

  it("keeps fetched keys as long as the issuer's Cache-Control says, within the bounds", () =>
    withCacheControl('public, max-age=2', async (h) => {
      const start = issuer.jwksFetches;
      expect(await pull(h, await issuer.mint(claims))).toBe(200);
      expect(await pull(h, await issuer.mint(claims))).toBe(200);
      expect(issuer.jwksFetches).toBe(start + 1);
      await pause(2100);
      // Stale now: this login is checked with them while they are fetched again.
      expect(await pull(h, await issuer.mint(claims))).toBe(200);
      await eventually(() => issuer.jwksFetches === start + 2, 2000);
    }));

  it('fetches no more often than refetch_interval when the issuer says no-cache', () =>
    withCacheControl('no-cache', async (h) => {
      const start = issuer.jwksFetches;
      for (let i = 0; i < 5; i++) expect(await pull(h, await issuer.mint(claims))).toBe(200);
      expect(issuer.jwksFetches).toBe(start + 1);
    }));

  it('checks with the keys it has, past their freshness, while the issuer is down', () =>
    withCacheControl('no-cache', async (h) => {
      expect(await pull(h, await issuer.mint(claims))).toBe(200);
      const token = await issuer.mint(claims);
      await issuer.stop();
      try {
        await pause(1100);
        expect(await pull(h, token)).toBe(200);
        expect(await pull(h, token)).toBe(200);
      } finally {
        await issuer.start();
      }
    }));

  it('keeps no login waiting on a slow issuer while it has keys: they are fetched again in the background', () =>
    withCacheControl('no-cache', async (h) => {
      expect(await pull(h, await issuer.mint(claims))).toBe(200);
      const start = issuer.jwksFetches;
      issuer.delayJwks(3000);
      try {
        await pause(1100);
        const started = Date.now();
        for (let i = 0; i < 3; i++) expect(await pull(h, await issuer.mint(claims))).toBe(200);
        expect(Date.now() - started).toBeLessThan(2000);
        await eventually(() => issuer.jwksFetches === start + 1, 5000);
      } finally {
        issuer.delayJwks(0);
      }
    }));
});

describe('oidc discovery naming another issuer', () => {
  it('is not trusted: no keys, so 503 rather than a verdict on the token', async () => {
    const issuer = await startIssuer({ discoveryIssuer: () => 'https://someone-else.example' });
    const h = await serve(`        issuer: "${issuer.url}"`);
    try {
      expect(await pull(h, await issuer.mint(claims))).toBe(503);
      const reasons = h.logs.map((l) => (JSON.parse(l) as { reason?: string }).reason ?? '');
      expect(reasons.some((r) => r.includes('names issuer "https://someone-else.example"'))).toBe(true);
    } finally {
      await h.server.close();
    }
  });
});
