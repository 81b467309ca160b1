import { mkdtempSync, writeFileSync } from 'node:fs';
import { scannedLogger } from '../support/log-scan.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { startServer, type RunningServer } from '../../src/server.js';
import { opensslKeyPair, type KeyPairFiles } from '../support/openssl-keys.js';
import { basic, claimsOf } from '../support/token-server.fixture.js';

/** A label value "*" substituted into `${labels:team}/*`, over real HTTP (docs/security.md rule 12). */

const password = 'label-values-password';
const hash = bcrypt.hashSync(password, 4);

async function serve(fileName: string, text: (keys: KeyPairFiles) => string): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-labels-'));
  writeFileSync(join(dir, fileName), text(opensslKeyPair(dir, 'ec')));
  return startServer({ configFile: join(dir, fileName), host: '127.0.0.1', port: 0, logger: scannedLogger() });
}

const pushGranted = async (sut: RunningServer, repository: string): Promise<string[]> => {
  const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:${repository}:push`, { headers: { authorization: basic('mallory', password) } });
  expect(res.status).toBe(200);
  return claimsOf<{ access: Array<{ actions: string[] }> }>(((await res.json()) as { token: string }).token).access.flatMap((a) => a.actions);
};

describe('label values in ACL patterns', () => {
  it('escapes them in a native config: a label "*" grants nothing beyond the literal name', async () => {
    const sut = await serve(
      'config.yml',
      () => `token: { issuer: labels, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn: [{ type: static, users: { mallory: { password: "${hash}", labels: { team: ["*"] } } } }]
acl: [{ match: { name: "\${labels:team}/*" }, actions: [pull, push] }]
`,
    );
    try {
      expect(await pushGranted(sut, 'someone-else/app')).toEqual([]);
    } finally {
      await sut.close();
    }
  });

  it('inserts them as pattern text in a docker_auth file, as docker_auth does', async () => {
    const sut = await serve(
      'auth_config.yml',
      (keys) => `token: { issuer: labels, certificate: "${keys.certPath}", key: "${keys.keyPath}" }
users: { mallory: { password: "${hash}", labels: { team: ["*"] } } }
acl: [{ match: { name: "\${labels:team}/*" }, actions: [pull, push] }]
`,
    );
    try {
      expect(await pushGranted(sut, 'someone-else/app')).toEqual(['push']);
    } finally {
      await sut.close();
    }
  });
});
