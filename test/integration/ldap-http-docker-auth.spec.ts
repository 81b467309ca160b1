import { PEOPLE } from '../support/slapd-directory.js';
import { requireSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';
import { basic, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';
import { accessOf, dockerAuthConfig, USER_BIND, useLdapHttp } from './ldap-http.fixture.js';

/** docker_auth's `ldap_auth` section, read unchanged, at the token endpoint against real slapd. */

setTestFileTimeout(60_000);
const { describeIf } = requireSlapd();
const { bob } = PEOPLE;

describeIf('LDAP at the token endpoint', () => {
  const ldap = useLdapHttp();

  describe('docker_auth ldap_auth section, unchanged', () => {
    let h: LoggedServer;
    beforeAll(async () => {
      h = await serveWithLogs(dockerAuthConfig(ldap.dir, ldap.slapd));
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
      await ldap.slapd.stop();
      try {
        expect((await h.get('service=x', basic('bob', bob.password))).status).toBe(503);
      } finally {
        await ldap.slapd.start();
      }
    });
  });

  describe('docker_auth ldap_auth section with initial_bind_as_user', () => {
    let h: LoggedServer;
    beforeAll(async () => {
      h = await serveWithLogs(dockerAuthConfig(ldap.dir, ldap.slapd, USER_BIND));
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
