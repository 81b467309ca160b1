import bcrypt from 'bcrypt';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from './config-loader.js';
import { buildSnapshot, closeSnapshot } from './snapshot.js';

/** Start-up warnings about the files and values a config points at (docs/security.md rule 21). */

const strongHash = bcrypt.hashSync('pw', 10);
const weakHash = bcrypt.hashSync('pw', 4);

describe('start-up hygiene warnings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-hygiene-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function warningsFor(body: string): Promise<readonly string[]> {
    const file = join(dir, 'config.yml');
    writeFileSync(
      file,
      `token:\n  issuer: hygiene\n  generate_missing: true\n  keys: [{ key: key.pem }]\n  refresh: { secrets: [refresh.secret] }\nacl: [{ match: {}, actions: [pull] }]\n${body}`,
    );
    const snapshot = await buildSnapshot(await loadConfigFile(file, {}));
    await closeSnapshot(snapshot);
    return snapshot.warnings;
  }
  const users = (hash: string): string => `authn:\n  - { name: users, type: static, users: { ci: { password: "${hash}" } } }\n`;

  it('has nothing to say about generated keys and strong hashes', async () => {
    expect(await warningsFor(users(strongHash))).toEqual([]);
  });

  it('warns about a signing key and a refresh secret that others can read, naming each key', async () => {
    await warningsFor(users(strongHash));
    chmodSync(join(dir, 'key.pem'), 0o644);
    chmodSync(join(dir, 'refresh.secret'), 0o660);

    expect(await warningsFor(users(strongHash))).toEqual([
      'token.keys[0].key (key.pem) can be accessed by its group and everyone (mode 0644): it holds a secret, chmod 600 it',
      'token.refresh.secrets[0] (refresh.secret) can be accessed by its group (mode 0660): it holds a secret, chmod 600 it',
    ]);
  });

  it('warns about static users hashed below cost 10, naming them', async () => {
    const body = `authn:\n  - name: users\n    type: static\n    users:\n      ci: { password: "${weakHash}" }\n      ops: { password: "${strongHash}" }\n`;

    expect(await warningsFor(body)).toEqual([expect.stringMatching(/^static provider users: bcrypt cost below 10 for ci; /)]);
  });

  it('warns about a plain http callback on another host, and says nothing about https or loopback', async () => {
    const callback = (url: string, name: string): string => `  - { name: ${name}, type: http, url: "${url}" }\n`;
    const body =
      users(strongHash) +
      callback('http://auth.example.com/check', 'remote') +
      callback('https://auth.example.com/check', 'tls') +
      callback('http://127.0.0.1:9/check', 'sidecar') +
      callback('http://[::1]:9/check', 'sidecar6');

    expect(await warningsFor(body)).toEqual([
      'callback http://auth.example.com/check is plain http: what it is sent (passwords, for an authn callback) and what it answers cross the network unencrypted; use https://',
    ]);
  });
});
