import bcrypt from 'bcrypt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, claimsOf, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';

/**
 * Refresh tokens die with the credential (docs/security.md rule 20): a password change, or a
 * `not_before` revocation, edited into the config file of a running server and reloaded.
 */

const SERVICE = 'rv-registry';
const hash = (pw: string): string => bcrypt.hashSync(pw, 4);

interface Fixture {
  readonly ciHash: string;
  readonly devHash: string;
  readonly notBefore?: string;
}

function writeConfig(dir: string, f: Fixture): string {
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `
server: { addr: "127.0.0.1:0" }
token:
  issuer: "rv-issuer"
  generate_missing: true
  keys: [{ key: keys/key.pem }]
  refresh:
    secrets: [keys/refresh.secret]
${f.notBefore ? `    not_before: "${f.notBefore}"\n` : ''}services: ["${SERVICE}"]
authn:
  - name: users
    type: static
    users:
      ci: { password: "${f.ciHash}" }
      dev: { password: "${f.devHash}" }
acl:
  - { match: { account: "/.+/" }, actions: [pull] }
`,
  );
  return file;
}

describe('refresh token revocation', () => {
  let dir: string;
  let h: LoggedServer;
  const initial: Fixture = { ciHash: hash('ci-old-pw'), devHash: hash('dev-pw') };

  const login = async (user: string, pw: string): Promise<string> => {
    const res = await h.get(`service=${SERVICE}&offline_token=true&scope=repository:app:pull`, basic(user, pw));
    expect(res.status).toBe(200);
    return ((await res.json()) as { refresh_token: string }).refresh_token;
  };
  const refresh = (token: string): Promise<Response> => h.post({ grant_type: 'refresh_token', refresh_token: token, service: SERVICE, client_id: 'rv' });
  const reconfigure = async (f: Fixture): Promise<void> => {
    writeConfig(dir, f);
    await h.server.reload();
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-rv-'));
    h = await serveWithLogs(writeConfig(dir, initial));
  });
  afterEach(async () => {
    await h?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a fingerprint of the credential into the token, not the hash', async () => {
    const token = await login('ci', 'ci-old-pw');
    const claims = claimsOf<{ crd?: string }>(token);
    expect(claims.crd).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(token).not.toContain(initial.ciHash);
  });

  it('refuses the refresh token of a user whose password was changed, and only that user', async () => {
    const ciToken = await login('ci', 'ci-old-pw');
    const devToken = await login('dev', 'dev-pw');
    expect((await refresh(ciToken)).status).toBe(200);

    await reconfigure({ ...initial, ciHash: hash('ci-new-pw') });

    const refused = await refresh(ciToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await refresh(devToken)).status).toBe(200);
    expect(h.logs.some((l) => l.includes('the credential changed since the refresh token was issued'))).toBe(true);
    // The new password gets a working refresh token again.
    expect((await refresh(await login('ci', 'ci-new-pw'))).status).toBe(200);
  });

  it('refuses a token after the same password is hashed again (a reset with the old password still revokes)', async () => {
    const ciToken = await login('ci', 'ci-old-pw');
    await reconfigure({ ...initial, ciHash: hash('ci-old-pw') });
    expect((await refresh(ciToken)).status).toBe(401);
  });

  it('refuses every token issued at or before not_before and accepts the ones issued later', async () => {
    const early = await login('dev', 'dev-pw');
    // iat has second precision: wait until the next second so "before" is unambiguous.
    await new Promise((r) => setTimeout(r, 1100));
    await reconfigure({ ...initial, notBefore: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 1100));
    const late = await login('dev', 'dev-pw');

    expect((await refresh(early)).status).toBe(401);
    expect(h.logs.some((l) => l.includes('refresh token refused: revoked'))).toBe(true);
    expect((await refresh(late)).status).toBe(200);
  });

  it('refuses to load a not_before that is not an RFC 3339 time, naming the key', async () => {
    writeConfig(dir, { ...initial, notBefore: 'yesterday' });
    await expect(h.server.reload()).rejects.toThrow(/token\.refresh\.not_before/);
    expect((await refresh(await login('dev', 'dev-pw'))).status).toBe(200);
  });
});
