import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/config-issue.js';
import { loadConfigFile, parseConfigText } from '../../config/config-loader.js';
import { buildSnapshot, closeSnapshot } from '../../config/snapshot.js';
import { generateKeyAndCertificate } from '../../token/index.js';

/** The LDAP configs the project ships, and start-up errors for files an LDAP config names. */

describe('shipped LDAP configs', () => {
  it('config/example-ldap.yml loads as a native config with one ldap provider', async () => {
    const sut = await loadConfigFile('config/example-ldap.yml', {});
    expect(sut.format).toBe('native');
    expect(sut.config.authn.map((p) => p.type)).toEqual(['ldap']);
  });

  it('config/docker-auth/ldap_auth_config.yml loads as docker_auth, ldap_auth after users', async () => {
    const sut = await loadConfigFile('config/docker-auth/ldap_auth_config.yml', {});
    expect(sut.format).toBe('docker_auth');
    expect(sut.config.authn.map((p) => [p.type, p.name])).toEqual([
      ['static', 'users'],
      ['ldap', 'ldap_auth'],
    ]);
  });
});

describe('LDAP start-up errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-ldap-start-'));
    mkdirSync(join(dir, 'keys'));
    const pair = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName: 'test', days: 1 });
    writeFileSync(join(dir, 'keys', 'key.pem'), pair.keyPem);
    writeFileSync(join(dir, 'keys', 'cert.pem'), pair.certPem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function startError(text: string): Promise<unknown> {
    try {
      await closeSnapshot(await buildSnapshot(parseConfigText(text, join(dir, 'config.yml'), {})));
    } catch (err) {
      return err;
    }
    throw new Error('expected the start to fail');
  }

  it("names docker_auth's ldap_auth.bind_password_file when that file is missing", async () => {
    const err = await startError(`
token: { issuer: t, certificate: keys/cert.pem, key: keys/key.pem }
ldap_auth:
  addr: ldap.example.com:636
  bind_dn: cn=reader,dc=example,dc=com
  bind_password_file: missing.password
  base: dc=example,dc=com
  filter: (uid=\${account})
`);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/ldap_auth: bind_password_file: cannot read missing\.password: ENOENT/);
  });

  it("names the provider's ca_certificate in a native config", async () => {
    const err = await startError(`
token: { issuer: t, keys: [{ key: keys/key.pem, certificate: keys/cert.pem }] }
authn:
  - type: ldap
    url: ldaps://ldap.example.com
    ca_certificate: missing-ca.pem
    base: dc=example,dc=com
    filter: (uid=\${account})
`);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/authn\[0\]: ca_certificate: cannot read missing-ca\.pem: ENOENT/);
  });
});
