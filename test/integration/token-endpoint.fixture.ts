import bcrypt from 'bcrypt';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server.js';
import { serveWithLogs, type FormFields, type LoggedServer, type PostOptions } from '../support/token-server.fixture.js';

/** The server the token-endpoint specs call over real HTTP, each spec file with its own. */

export const users = { admin: 'admin-pw', alice: 'alice: pw with spaces', bob: 'bob-pw' };
/** Passwords the specs send on purpose wrong: they must not reach a log line either. */
const WRONG_PASSWORDS = ['N0pe-pw-7', 'Wr0ng-pw-9'];
const slowHash = bcrypt.hashSync('slow-pw', 14);

export function writeConfig(dir: string, extraUsers = true): string {
  const hash = (pw: string): string => bcrypt.hashSync(pw, 4);
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `
server: { addr: "127.0.0.1:0" }
token:
  issuer: "it-issuer"
  expiration: 300
  generate_missing: true
  keys: [{ key: keys/key.pem, certificate: keys/cert.pem }]
  refresh: { secrets: [keys/refresh.secret] }
services: ["it-registry", "other-registry"]
authn:
  - type: static
    users:
      admin: { password: "${hash(users.admin)}" }
      alice: { password: "${hash(users.alice)}", labels: { team: [dev] } }
      slowpoke: { password: "${slowHash}" }
${extraUsers ? `      bob: { password: "${hash(users.bob)}" }\n` : ''}      "": {}
acl:
  - { match: { account: admin }, actions: ["*"] }
  - { match: { labels: { team: dev }, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: "", name: "public/*" }, actions: [pull] }
  - { match: { account: "/.+/" }, actions: [pull] }
`,
  );
  return file;
}

export interface TokenEndpoint {
  readonly sut: RunningServer;
  /** The folder of the config file, for tests that rewrite it. */
  readonly dir: string;
  readonly get: (query: string, auth?: string) => Promise<Response>;
  readonly post: (form: FormFields, opts?: PostOptions) => Promise<Response>;
}

/**
 * Starts the server before the calling file's tests and closes it after them. Whatever the tests
 * did, no password reached this server's log (docs/security.md rule 22), and token requests were audited.
 */
export function useTokenEndpoint(): TokenEndpoint {
  let dir: string;
  let h: LoggedServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-it-'));
    h = await serveWithLogs(writeConfig(dir));
  });
  afterAll(async () => {
    await h?.server.close();
    const secrets = [...Object.values(users), ...WRONG_PASSWORDS];
    for (const line of h?.logs ?? []) for (const secret of secrets) expect(line).not.toContain(secret);
    expect((h?.logs ?? []).some((l) => l.includes('"audit":"token"'))).toBe(true);
  });

  return {
    get sut() {
      return h.server;
    },
    get dir() {
      return dir;
    },
    get: (query, auth) => h.get(query, auth),
    post: (form, opts) => h.post(form, opts),
  };
}
