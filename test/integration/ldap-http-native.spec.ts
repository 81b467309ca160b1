import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { GROUPS_BASE, PEOPLE, SERVICE_ACCOUNT } from '../support/slapd-directory.js';
import { requireSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';
import { basic, claimsOf, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';
import { accessOf, nativeConfig, scopeQuery, SERVICE, useLdapHttp } from './ldap-http.fixture.js';

/**
 * LDAP users at the token endpoint over real HTTP, with our native `type: ldap` against real
 * slapd over LDAPS: grants by group label, refresh, faults (503, never 401, for an outage).
 */

setTestFileTimeout(60_000);
const { describeIf } = requireSlapd();
const { alice, bob, carol, smith } = PEOPLE;

describeIf('LDAP at the token endpoint', () => {
  const ldap = useLdapHttp();

  describe('native type: ldap over LDAPS', () => {
    let h: LoggedServer;
    beforeAll(async () => {
      h = await serveWithLogs(nativeConfig(ldap.dir, ldap.slapd, 'ca.pem'));
    });
    afterEach(async () => {
      ldap.slapd.resume();
      await ldap.slapd.start();
    });
    afterAll(async () => {
      await h?.server.close();
      // No password of any test user ever reaches a log line.
      for (const line of h?.logs ?? [])
        for (const pw of [alice.password, bob.password, carol.password, SERVICE_ACCOUNT.password]) expect(line).not.toContain(pw);
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

    it("puts the directory's account name in sub, whatever spelling was typed", async () => {
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
      const login = (await (
        await h.post({ grant_type: 'password', username: 'bob', password: bob.password, service: SERVICE, client_id: 'x', access_type: 'offline' })
      ).json()) as { refresh_token: string };
      const refresh = (): Promise<Response> =>
        h.post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: SERVICE, client_id: 'x', scope: 'repository:dev/app:pull,push' });
      expect(await accessOf(await refresh())).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
      const developers = `cn=Developers,${GROUPS_BASE}`;
      const change = (operation: 'add' | 'delete'): Change => new Change({ operation, modification: new Attribute({ type: 'member', values: [bob.dn] }) });
      await ldap.slapd.asAdmin((c) => c.modify(developers, change('delete')));
      try {
        expect(await accessOf(await refresh())).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull'] }]);
      } finally {
        await ldap.slapd.asAdmin((c) => c.modify(developers, change('add')));
      }
    });

    it('answers 503 fast while slapd is down, with a generic body and the detail in the log', async () => {
      await ldap.slapd.stop();
      const started = performance.now();
      const res = await h.get(scopeQuery, basic('bob', bob.password));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toEqual(expect.any(String));
      const body = await res.text();
      expect(body).not.toMatch(/127\.0\.0\.1|ldap|ECONN/i);
      expect(h.logs.some((l) => l.includes('backend failure') && l.includes(`cannot connect to ${ldap.slapd.ldapsUrl}`))).toBe(true);
    });

    it('serves logins again as soon as slapd is back', async () => {
      await ldap.slapd.stop();
      expect((await h.get(scopeQuery, basic('bob', bob.password))).status).toBe(503);
      await ldap.slapd.start();
      expect((await h.get(scopeQuery, basic('bob', bob.password))).status).toBe(200);
    });

    it('answers 503 at the request deadline when slapd hangs', async () => {
      await ldap.slapd.pause();
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
      const h = await serveWithLogs(nativeConfig(ldap.dir, ldap.slapd, 'ca.pem', '(&(cn=${account})(objectClass=inetOrgPerson))'));
      try {
        const login = await h.post({
          grant_type: 'password',
          username: 'smith john',
          password: smith.password,
          service: SERVICE,
          client_id: 'x',
          access_type: 'offline',
        });
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
      copyFileSync(ldap.slapd.otherCaFile, join(ldap.dir, 'other-ca.pem'));
      const h = await serveWithLogs(nativeConfig(ldap.dir, ldap.slapd, 'other-ca.pem'));
      try {
        const res = await h.get(scopeQuery, basic('bob', bob.password));
        expect(res.status).toBe(503);
        expect(h.logs.some((l) => l.includes('backend failure') && /certificate of ldaps:\/\/127\.0\.0\.1:\d+ is not trusted/.test(l))).toBe(true);
      } finally {
        await h.server.close();
      }
    });
  });
});
