import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Attribute, Change } from 'ldapts';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { opensslKeyPair } from '../support/openssl-keys.js';
import { GROUPS_BASE, PEOPLE, PEOPLE_BASE, SERVICE_ACCOUNT, SUFFIX } from '../support/slapd-directory.js';
import { requireSlapd, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * LDAP users at the token endpoint over real HTTP: our native `type: ldap` and docker_auth's
 * `ldap_auth` section, each against real slapd, faults included (503, never 401, for an outage).
 */

setTestFileTimeout(60_000);
const { describeIf } = requireSlapd();
const { alice, bob, carol, smith } = PEOPLE;
const SERVICE = 'it-registry';

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

interface Harness {
  server: RunningServer;
  logs: string[];
  get(query: string, auth?: string): Promise<Response>;
  post(form: Record<string, string | string[]>): Promise<Response>;
}

async function serve(configFile: string): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const server = await startServer({ configFile, host: '127.0.0.1', port: 0, logger: createLogger('debug', sink) });
  return {
    server,
    logs,
    get: (query, auth) => fetch(`${server.url}/auth?${query}`, { headers: auth ? { authorization: auth } : {} }),
    post: (form) => {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const item of [v].flat()) body.append(k, item);
      return fetch(`${server.url}/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    },
  };
}

const ACL = `
acl:
  - { match: { labels: { groups: developers }, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: alice, name: "alice/*" }, actions: ["*"] }
  - { match: { account: "/.+/" }, actions: [pull] }
`;

const UID_FILTER = '(&(uid=\${account})(objectClass=inetOrgPerson))';

function nativeConfig(dir: string, slapd: RunningSlapd, ca: string, filter = UID_FILTER): string {
  const file = join(dir, `native-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(
    file,
    `
server: { addr: "127.0.0.1:0", request_timeout: 1s }
token:
  issuer: it-ldap
  expiration: 300
  generate_missing: true
  keys: [{ key: keys/key.pem, certificate: keys/cert.pem }]
  refresh: { secrets: [keys/refresh.secret] }
services: [${SERVICE}]
authn:
  - type: ldap
    name: corp
    url: [${slapd.ldapsUrl}]
    ca_certificate: ${ca}
    bind_dn: "${SERVICE_ACCOUNT.dn}"
    bind_password: "\${file:reader.pw}"
    base: "${SUFFIX}"
    filter: "${filter}"
    account_attribute: uid
    labels: { groups: { attribute: memberOf, parse_cn: true, lower_case: true } }
${ACL}`,
  );
  return file;
}

const SERVICE_BIND = `
  bind_dn: "${SERVICE_ACCOUNT.dn}"
  bind_password_file: reader.pw`;
const USER_BIND = `
  initial_bind_as_user: true
  bind_dn: "uid=\${account},${PEOPLE_BASE}"`;

function dockerAuthConfig(dir: string, slapd: RunningSlapd, bind = SERVICE_BIND): string {
  const file = join(dir, `auth_config-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(
    file,
    `
server:
  addr: "127.0.0.1:0"
token:
  issuer: "it-ldap"
  expiration: 900
  certificate: "keys/rsa-token.cert.pem"
  key: "keys/rsa-token.key.pem"
ldap_auth:
  addr: "127.0.0.1:${slapd.ldapPort}"
  tls: starttls
  insecure_tls_skip_verify: false
  ca_certificate: ca.pem${bind}
  base: "${SUFFIX}"
  filter: "(&(uid=\${account})(objectClass=inetOrgPerson))"
  labels:
    groups:
      attribute: memberOf
      parse_cn: true
      lower_case: true
${ACL}`,
  );
  return file;
}

describeIf('LDAP at the token endpoint', () => {
  let slapd: RunningSlapd;
  let dir: string;
  const scopeQuery = `service=${SERVICE}&scope=repository:dev/app:pull,push`;
  const accessOf = async (res: Response): Promise<unknown> => claimsOf(((await res.json()) as { token: string }).token).access;

  beforeAll(async () => {
    slapd = await startSlapd();
    dir = mkdtempSync(join(tmpdir(), 'regauth-ldap-http-'));
    writeFileSync(join(dir, 'reader.pw'), `${SERVICE_ACCOUNT.password}\n`);
    copyFileSync(slapd.caFile, join(dir, 'ca.pem'));
    opensslKeyPair(join(dir, 'keys'), 'rsa');
  });
  afterAll(async () => {
    await slapd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('native type: ldap over LDAPS', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await serve(nativeConfig(dir, slapd, 'ca.pem'));
    });
    afterEach(async () => {
      slapd.resume();
      await slapd.start();
    });
    afterAll(async () => {
      await h?.server.close();
      // No password of any test user ever reaches a log line.
      for (const line of h?.logs ?? []) for (const pw of [alice.password, bob.password, carol.password, SERVICE_ACCOUNT.password]) expect(line).not.toContain(pw);
    });

    it('grants a group member what the ACL gives the group label', async () => {
      const res = await h.get(scopeQuery, basic('bob', bob.password));
      expect(res.status).toBe(200);
      expect(await accessOf(res)).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
    });

    it('gives a user outside the group only the general rule', async () => {
      const res = await h.get(scopeQuery, basic('carol', carol.password));
      expect(await accessOf(res)).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull'] }]);
    });

    it('puts the directory\'s account name in sub, whatever spelling was typed', async () => {
      const res = await h.get(`service=${SERVICE}&scope=repository:alice/app:push`, basic('ALICE', alice.password));
      expect(res.status).toBe(200);
      const claims = claimsOf(((await res.json()) as { token: string }).token);
      expect(claims).toMatchObject({ sub: 'alice', access: [{ type: 'repository', name: 'alice/app', actions: ['push'] }] });
    });

    it.each([
      ['a wrong password', 'bob', 'not-bobs'],
      ['an unknown user', 'mallory', 'whatever'],
      ['an empty password', 'alice', ''],
      ['a filter wildcard as user name', '*', alice.password],
    ])('answers %s with 401', async (_case, user, password) => {
      const res = await h.get(scopeQuery, basic(user, password));
      expect(res.status).toBe(401);
    });

    it('re-checks LDAP at refresh: a user removed from a group loses its grants', async () => {
      const login = (await (await h.post({ grant_type: 'password', username: 'bob', password: bob.password, service: SERVICE, client_id: 'x', access_type: 'offline' })).json()) as { refresh_token: string };
      const refresh = (): Promise<Response> => h.post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: SERVICE, client_id: 'x', scope: 'repository:dev/app:pull,push' });
      expect(await accessOf(await refresh())).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
      const developers = `cn=Developers,${GROUPS_BASE}`;
      const change = (operation: 'add' | 'delete'): Change => new Change({ operation, modification: new Attribute({ type: 'member', values: [bob.dn] }) });
      await slapd.asAdmin((c) => c.modify(developers, change('delete')));
      try {
        expect(await accessOf(await refresh())).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull'] }]);
      } finally {
        await slapd.asAdmin((c) => c.modify(developers, change('add')));
      }
    });

    it('answers 503 fast while slapd is down, with a generic body and the detail in the log', async () => {
      await slapd.stop();
      const started = performance.now();
      const res = await h.get(scopeQuery, basic('bob', bob.password));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toEqual(expect.any(String));
      const body = await res.text();
      expect(body).not.toMatch(/127\.0\.0\.1|ldap|ECONN/i);
      expect(h.logs.some((l) => l.includes('backend failure') && l.includes(`cannot connect to ${slapd.ldapsUrl}`))).toBe(true);
    });

    it('serves logins again as soon as slapd is back', async () => {
      await slapd.stop();
      expect((await h.get(scopeQuery, basic('bob', bob.password))).status).toBe(503);
      await slapd.start();
      expect((await h.get(scopeQuery, basic('bob', bob.password))).status).toBe(200);
    });

    it('answers 503 at the request deadline when slapd hangs', async () => {
      await slapd.pause();
      const started = performance.now();
      const res = await h.get(scopeQuery, basic('bob', bob.password));
      const ms = performance.now() - started;
      expect(res.status).toBe(503);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(2_500);
    });
  });

  describe('refresh when the login filter names another attribute than account_attribute', () => {
    it('finds the user again by the account in the token', async () => {
      const h = await serve(nativeConfig(dir, slapd, 'ca.pem', '(&(cn=\${account})(objectClass=inetOrgPerson))'));
      try {
        const login = await h.post({ grant_type: 'password', username: 'smith john', password: smith.password, service: SERVICE, client_id: 'x', access_type: 'offline' });
        expect(login.status).toBe(200);
        const { refresh_token } = (await login.json()) as { refresh_token: string };
        const refreshed = await h.post({ grant_type: 'refresh_token', refresh_token, service: SERVICE, client_id: 'x', scope: 'repository:dev/app:pull' });
        expect(refreshed.status).toBe(200);
        expect(claimsOf(((await refreshed.json()) as { access_token: string }).access_token)).toMatchObject({ sub: smith.uid });
      } finally {
        await h.server.close();
      }
    });
  });

  describe('untrusted certificate', () => {
    it('answers 503 and logs that the certificate is not trusted', async () => {
      copyFileSync(slapd.otherCaFile, join(dir, 'other-ca.pem'));
      const h = await serve(nativeConfig(dir, slapd, 'other-ca.pem'));
      try {
        const res = await h.get(scopeQuery, basic('bob', bob.password));
        expect(res.status).toBe(503);
        expect(h.logs.some((l) => l.includes('backend failure') && /certificate of ldaps:\/\/127\.0\.0\.1:\d+ is not trusted/.test(l))).toBe(true);
      } finally {
        await h.server.close();
      }
    });
  });

  describe('docker_auth ldap_auth section, unchanged', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await serve(dockerAuthConfig(dir, slapd));
    });
    afterAll(() => h?.server.close());

    it('is read as docker_auth format with the ldap provider', () => {
      const snapshot = h.server.snapshot();
      expect(snapshot.source.format).toBe('docker_auth');
      expect(snapshot.providers.map((p) => p.name)).toEqual(['ldap_auth']);
    });

    it('logs a group member in over StartTLS with labels from memberOf', async () => {
      const res = await h.get('service=x&scope=repository:dev/app:pull,push', basic('bob', bob.password));
      expect(res.status).toBe(200);
      expect(await accessOf(res)).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
    });

    it('refuses a wrong password with 401', async () => {
      expect((await h.get('service=x', basic('bob', 'nope'))).status).toBe(401);
    });

    it('answers 503, not 401, while slapd is down', async () => {
      await slapd.stop();
      try {
        expect((await h.get('service=x', basic('bob', bob.password))).status).toBe(503);
      } finally {
        await slapd.start();
      }
    });
  });

  describe('docker_auth ldap_auth section with initial_bind_as_user', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await serve(dockerAuthConfig(dir, slapd, USER_BIND));
    });
    afterAll(() => h?.server.close());

    it('logs a group member in, with labels read as the user', async () => {
      const res = await h.get('service=x&scope=repository:dev/app:pull,push', basic('bob', bob.password));
      expect(res.status).toBe(200);
      expect(await accessOf(res)).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
    });

    it.each([
      ['a wrong password', 'bob', 'nope'],
      ['an unknown user', 'mallory', 'whatever'],
      ['a name that adds an RDN', 'bob,ou=people', bob.password],
    ])('refuses %s with 401', async (_case, user, password) => {
      expect((await h.get('service=x', basic(user, password))).status).toBe(401);
    });
  });
});
