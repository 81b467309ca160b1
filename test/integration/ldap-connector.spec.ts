import { readFileSync } from 'node:fs';
import type { LdapConnection } from '../../src/authn/ldap/ldap-connection.js';
import { FAILED_SERVER_COOLDOWN_MS, LdapConnector } from '../../src/authn/ldap/ldap-connector.js';
import { ldapTargets } from '../../src/authn/ldap/ldap-settings.js';
import { PEOPLE } from '../support/slapd-directory.js';
import { startSilentServer, type SilentServer } from '../support/slapd-silent-server.js';
import { requireSlapd, startSlapd, type RunningSlapd } from '../support/slapd.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * Failover between servers: a server is up only once it has answered the first operation on a
 * new connection (a hung one still completes the TCP handshake), and one that stays silent is
 * set aside for a while. A controllable clock stands in for the cooldown's 30 seconds.
 */

setTestFileTimeout(60_000);
const { describeIf } = requireSlapd();
const { alice } = PEOPLE;
const live = (): AbortSignal => AbortSignal.timeout(10_000);

describeIf('LdapConnector failover', () => {
  let slapd: RunningSlapd;
  let silent: SilentServer;
  let clock: number;
  const opened: LdapConnection[] = [];

  function buildSut(urls: string[]): LdapConnector {
    const settings = { tls: { ca: readFileSync(slapd.caFile, 'utf8') }, connectTimeoutMs: 1_000, operationTimeoutMs: 300 };
    return new LdapConnector(ldapTargets({ url: urls }), settings, () => clock);
  }
  const bindAs =
    (dn: string, password: string) =>
    async (conn: LdapConnection): Promise<string> => {
      opened.push(conn);
      await conn.bind(dn, password, live());
      return conn.target.label;
    };
  const aliceBind = bindAs(alice.dn, alice.password);

  beforeAll(async () => {
    slapd = await startSlapd();
  });
  beforeEach(async () => {
    clock = 1_000_000;
    silent = await startSilentServer();
  });
  afterEach(async () => {
    for (const conn of opened.splice(0)) conn.destroy();
    await silent.close();
  });
  afterAll(() => slapd?.close());

  it('runs the first operation on the next server when the first one stays silent', async () => {
    const sut = buildSut([`ldap://${silent.addr}`, slapd.ldapUrl]);
    const { result } = await sut.open(live(), aliceBind);
    expect(result).toBe(slapd.ldapUrl);
    expect(silent.accepted).toBe(1);
  });

  it('sets the silent server aside, and tries it first again once the cooldown is over', async () => {
    const sut = buildSut([`ldap://${silent.addr}`, slapd.ldapUrl]);
    await sut.open(live(), aliceBind);
    clock += FAILED_SERVER_COOLDOWN_MS - 1;
    expect((await sut.open(live(), aliceBind)).result).toBe(slapd.ldapUrl);
    expect(silent.accepted).toBe(1);
    clock += 2;
    expect((await sut.open(live(), aliceBind)).result).toBe(slapd.ldapUrl);
    expect(silent.accepted).toBe(2);
  });

  it('takes a refusal as an answer: the error comes back and the server is not set aside', async () => {
    const sut = buildSut([slapd.ldapUrl, slapd.ldapsUrl]);
    await expect(sut.open(live(), bindAs(alice.dn, 'wrong'))).rejects.toMatchObject({ code: 49 });
    expect((await sut.open(live(), aliceBind)).result).toBe(slapd.ldapUrl);
  });

  it('does not blame a server for a request deadline that passed before it was tried', async () => {
    const sut = buildSut([`ldap://${silent.addr}`, slapd.ldapUrl]);
    await expect(sut.open(AbortSignal.abort(), aliceBind)).rejects.toMatchObject({ code: 'aborted' });
    expect(silent.accepted).toBe(0);
    await sut.open(live(), aliceBind);
    expect(silent.accepted).toBe(1);
  });

  it('closes the connection to the silent server it gave up on', async () => {
    const sut = buildSut([`ldap://${silent.addr}`, slapd.ldapUrl]);
    await sut.open(live(), aliceBind);
    expect(opened.map((c) => [c.target.label, c.usable])).toEqual([
      [`ldap://${silent.addr}`, false],
      [slapd.ldapUrl, true],
    ]);
    expect(sut.openCount).toBe(1);
  });
});
