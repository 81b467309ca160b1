import { freePort } from '../support/free-port.js';
import { describeLdapProviders } from '../support/ldap-provider.fixture.js';
import { reason, timed } from '../support/settled.js';
import { settledConnectionsTo } from '../support/slapd-connections.js';
import { startSilentServer, type SilentServer } from '../support/slapd-silent-server.js';
import { PEOPLE, PEOPLE_BASE } from '../support/slapd-directory.js';
import type { RunningSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * Directory faults (docs/security.md rule 6: fail closed, fast): nothing listening, a server that never
 * answers, slapd stopped and started again under a running provider. Every fault must be an
 * error (the chain's 503), never a deny, and must leave no connection behind.
 */

setTestFileTimeout(60_000);
const { alice, bob } = PEOPLE;

/** After every test slapd runs and answers again, whatever the test did to it. */
const faultOptions = {
  filter: '(uid=${account})',
  afterEach: async (slapd: RunningSlapd): Promise<void> => {
    slapd.resume();
    await slapd.start(); // no-op when running
  },
};

describeLdapProviders(
  'LDAP provider faults',
  (ldap) => {
    const { buildSut, login } = ldap;

    it('fails fast when nothing listens (connection refused)', async () => {
      const sut = await buildSut({ url: `ldap://127.0.0.1:${await freePort()}` });
      const { ms, result } = await timed(login(sut, 'alice', alice.password));
      expect(reason(result).code).toBe('connect_failed');
      expect(ms).toBeLessThan(1_000);
    });

    it('gives up a TLS handshake that never completes after connect_timeout', async () => {
      const silent = await startSilentServer();
      try {
        const sut = await buildSut({ url: `ldaps://${silent.addr}`, connect_timeout: '300ms' });
        const { ms, result } = await timed(login(sut, 'alice', alice.password));
        expect(reason(result)).toMatchObject({ code: 'tls_failed', message: expect.stringMatching(/timed out after 300 ms/) });
        expect(ms).toBeGreaterThanOrEqual(250);
        expect(ms).toBeLessThan(2_000);
      } finally {
        await silent.close();
      }
    });

    it('gives up an operation the server never answers after timeout', async () => {
      const silent = await startSilentServer();
      try {
        const sut = await buildSut({ url: `ldap://${silent.addr}`, timeout: '300ms' });
        const { ms, result } = await timed(login(sut, 'alice', alice.password));
        expect(reason(result).code).toBe('timeout');
        expect(ms).toBeLessThan(2_000);
      } finally {
        await silent.close();
      }
    });

    describe('failover from a server that accepts connections and never answers', () => {
      let silent: SilentServer;
      beforeEach(async () => {
        silent = await startSilentServer();
      });
      afterEach(() => silent.close());
      const failover = (): Record<string, unknown> => ({ url: [`ldap://${silent.addr}`, ldap.slapd.ldapUrl], timeout: '300ms' });

      it('tries the next URL in the same request once the service bind times out, then skips the silent one', async () => {
        const sut = await buildSut(failover());
        const first = await timed(login(sut, 'alice', alice.password));
        expect(first.result).toEqual({ status: 'fulfilled', value: { kind: 'allow', labels: {} } });
        expect(first.ms).toBeGreaterThanOrEqual(250);
        expect(first.ms).toBeLessThan(2_000);
        // Set aside: the next login (new user connection included) goes straight to slapd.
        const acceptedBefore = silent.accepted;
        expect(await login(sut, 'bob', bob.password)).toEqual({ kind: 'allow', labels: {} });
        expect(silent.accepted).toBe(acceptedBefore);
      });

      it('tries the next URL once the user bind times out on a new connection, while the pooled search still works', async () => {
        const hanging = await startSilentServer({ answerFirst: { port: ldap.slapd.ldapPort, connections: 1 } });
        try {
          const sut = await buildSut({ url: [`ldap://${hanging.addr}`, ldap.slapd.ldapUrl], timeout: '300ms' });
          // Connection 1 (service bind, search) is answered; connection 2, for the user bind, is not.
          expect(await login(sut, 'alice', alice.password)).toEqual({ kind: 'allow', labels: {} });
          expect(hanging.accepted).toBe(2);
        } finally {
          await hanging.close();
        }
      });

      it('tries the next URL once the user bind times out (initial_bind_as_user)', async () => {
        const sut = await buildSut({ ...failover(), initial_bind_as_user: true, bind_dn: `uid=\${account},${PEOPLE_BASE}`, bind_password: undefined });
        expect(await login(sut, 'alice', alice.password)).toEqual({ kind: 'allow', labels: {} });
        expect(await login(sut, 'alice', 'wrong')).toEqual({ kind: 'deny' });
      });

      it('tries the next URL for an anonymous search (no bind_dn), whose first operation is an anonymous bind', async () => {
        const sut = await buildSut({ ...failover(), bind_dn: undefined, bind_password: undefined });
        // slapd's answer, not a timeout: the test directory hides even its base from anonymous users.
        await expect(login(sut, 'alice', alice.password)).rejects.toMatchObject({
          code: 'search_failed',
          message: expect.stringContaining(ldap.slapd.ldapUrl),
        });
        expect(silent.accepted).toBe(1);
      });

      it('tries the next URL once StartTLS times out', async () => {
        const sut = await buildSut({
          url: [`ldap://${silent.addr}`, ldap.slapd.ldapUrl],
          tls: 'starttls',
          ca_certificate: ldap.slapd.caFile,
          connect_timeout: '300ms',
        });
        expect(await login(sut, 'alice', alice.password)).toEqual({ kind: 'allow', labels: {} });
      });

      it('sets the silent server aside even when the request deadline comes before timeout', async () => {
        const sut = await buildSut({ ...failover(), timeout: '30s' });
        expect(reason((await timed(login(sut, 'alice', alice.password, 400))).result).code).toBe('aborted');
        const { ms, result } = await timed(login(sut, 'alice', alice.password, 400));
        expect(result).toEqual({ status: 'fulfilled', value: { kind: 'allow', labels: {} } });
        expect(ms).toBeLessThan(300);
      });

      it('fails with timeout when every server is silent', async () => {
        const other = await startSilentServer();
        try {
          const sut = await buildSut({ url: [`ldap://${silent.addr}`, `ldap://${other.addr}`], timeout: '200ms' });
          const { ms, result } = await timed(login(sut, 'alice', alice.password));
          expect(reason(result)).toMatchObject({ code: 'timeout', message: expect.stringMatching(/^no LDAP server answered: .*timed out.*; .*timed out/) });
          expect(ms).toBeLessThan(2_000);
          expect([silent.accepted, other.accepted]).toEqual([1, 1]);
        } finally {
          await other.close();
        }
      });
    });

    it('answers at the request deadline when slapd hangs, and works again once it answers', async () => {
      const sut = await buildSut({ timeout: '30s' });
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow'); // a pooled connection now exists
      await ldap.slapd.pause();
      const { ms, result } = await timed(login(sut, 'alice', alice.password, 500));
      expect(reason(result).code).toBe('aborted');
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(1_500);
      ldap.slapd.resume();
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
    });

    it('sheds concurrent logins while slapd hangs without leaking their connections', async () => {
      const sut = await buildSut({ pool_size: 2 });
      await ldap.slapd.pause();
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => login(sut, i % 2 ? 'alice' : 'bob', 'x', 400)));
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      ldap.slapd.resume();
      const after = await Promise.all(Array.from({ length: 20 }, (_, i) => login(sut, 'bob', i % 2 ? bob.password : 'wrong')));
      expect(after.map((r) => r.kind)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 'allow' : 'deny')));
      const kernelCount = await settledConnectionsTo(ldap.slapd.ldapPort, 2);
      if (kernelCount !== undefined) expect(kernelCount).toBeLessThanOrEqual(2);
    });

    it('fails fast while slapd is stopped and recovers, stale pooled connection and all, when it is back', async () => {
      const sut = await buildSut({ pool_size: 4 });
      await Promise.all([login(sut, 'alice', alice.password), login(sut, 'bob', bob.password)]);
      await ldap.slapd.stop();
      const { ms, result } = await timed(login(sut, 'alice', alice.password));
      expect(reason(result).code).toBe('connect_failed');
      expect(ms).toBeLessThan(1_000);
      await ldap.slapd.start();
      // The first login after the restart must already work: dead pooled connections are dropped.
      expect((await login(sut, 'alice', alice.password)).kind).toBe('allow');
      expect(await login(sut, 'alice', 'wrong')).toEqual({ kind: 'deny' });
    });

    it.each([
      ['plain', () => ({})],
      ['StartTLS', () => ({ tls: 'starttls', ca_certificate: ldap.slapd.caFile })],
    ])('recovers when slapd restarts while %s connections sit idle in the pool', async (_case, overrides) => {
      const sut = await buildSut({ pool_size: 4, ...overrides() });
      await Promise.all([login(sut, 'alice', alice.password), login(sut, 'bob', bob.password)]);
      await ldap.slapd.stop();
      await ldap.slapd.start();
      expect((await login(sut, 'bob', bob.password)).kind).toBe('allow');
    });

    it('never turns a fault into a deny', async () => {
      const sut = await buildSut({ url: `ldap://127.0.0.1:${await freePort()}` });
      await expect(login(sut, 'alice', 'wrong')).rejects.toMatchObject({ code: 'connect_failed' });
    });

    it('leaves no connection open after faults once closed', async () => {
      const sut = await buildSut({ pool_size: 4 });
      await login(sut, 'alice', alice.password);
      await ldap.slapd.pause();
      await Promise.allSettled([login(sut, 'alice', alice.password, 300), login(sut, 'bob', bob.password, 300)]);
      ldap.slapd.resume();
      await login(sut, 'bob', bob.password);
      await sut.close!();
      expect(sut.openConnections).toBe(0);
      const kernelCount = await settledConnectionsTo(ldap.slapd.ldapPort, 0);
      if (kernelCount !== undefined) expect(kernelCount).toBe(0);
    });
  },
  faultOptions,
);
