import { LdapConnection } from '../../src/authn/ldap/ldap-connection.js';
import { ldapTargets } from '../../src/authn/ldap/ldap-settings.js';
import { readFileSync } from 'node:fs';
import { SERVICE_ACCOUNT, SUFFIX } from '../support/slapd-directory.js';
import { requireSlapd, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * One connection against slapd. ldapts would quietly reconnect a dropped connection on the next
 * operation — unbound, and after StartTLS in clear text; ours must fail instead.
 */

setTestFileTimeout(60_000);
const { describeIf } = requireSlapd();
const signal = (): AbortSignal => AbortSignal.timeout(10_000);

describeIf('LdapConnection against slapd', () => {
  let slapd: RunningSlapd;
  const settings = (): { tls: { ca: string }; connectTimeoutMs: number; operationTimeoutMs: number } => ({
    tls: { ca: readFileSync(slapd.caFile, 'utf8') },
    connectTimeoutMs: 3_000,
    operationTimeoutMs: 5_000,
  });

  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterAll(() => slapd?.close());

  it.each(['none', 'starttls'] as const)('does not reopen a connection the server dropped (tls: %s)', async (tls) => {
    const [target] = ldapTargets({ addr: `127.0.0.1:${slapd.ldapPort}`, tls });
    const sut = await LdapConnection.open(target, settings(), signal());
    try {
      await sut.bind(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password, signal());
      await slapd.stop();
      await slapd.start();
      await expect(sut.search(SUFFIX, { filter: '(uid=alice)' }, signal())).rejects.toMatchObject({ code: 'connection_lost' });
      expect(sut.usable).toBe(false);
    } finally {
      sut.destroy();
    }
  });

  it('reports the end of the connection once it is destroyed', async () => {
    const [target] = ldapTargets({ url: slapd.ldapsUrl });
    let ended = 0;
    const sut = await LdapConnection.open(target, settings(), signal(), () => ended++);
    expect(sut.usable).toBe(true);
    sut.destroy();
    sut.destroy();
    expect(sut.usable).toBe(false);
    expect(ended).toBe(1);
  });

  it('does not connect at all when the request deadline has already passed', async () => {
    const [target] = ldapTargets({ url: slapd.ldapUrl });
    const expired = AbortSignal.abort();
    await expect(LdapConnection.open(target, settings(), expired)).rejects.toMatchObject({ code: 'aborted' });
  });
});
