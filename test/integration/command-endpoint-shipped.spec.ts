import bcrypt from 'bcrypt';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProvider, providerName } from '../../src/authn/provider-registry.js';
import { authorizerName, createAuthorizer } from '../../src/authz/authorizer-registry.js';
import { authorizeScope } from '../../src/authz/authz-chain.js';
import { toLabels } from '../../src/common/labels.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import type { RunningServer } from '../../src/server.js';
import { generateKeyAndCertificate } from '../../src/token/index.js';
import { basic } from '../support/token-server.fixture.js';
import { ADMIN_PASSWORD, CICD_SECRET, claimsOf, DEV_PASSWORD, PLUGINS, token, useCommandEndpoint } from './command-endpoint.fixture.js';
import { authorizerContext, providerContext } from '../support/provider-context.js';

/** docker_auth's ext_auth and ext_authz, and the shipped configs with hooks, behind the real token endpoint. */

const EXAMPLE_CICD = fileURLToPath(new URL('../../config/example-cicd.yml', import.meta.url));
const endpoint = useCommandEndpoint();
const { logLines, startServerLogged } = endpoint;

describe('docker_auth config with ext_auth and ext_authz, unchanged', () => {
  let sut: RunningServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(endpoint.dir, 'docker-auth-'));
    const pair = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName: 'da', days: 2 });
    writeFileSync(join(dir, 'key.pem'), pair.keyPem);
    writeFileSync(join(dir, 'cert.pem'), pair.certPem);
    // The docker_auth file as operators have it: ext_auth reads CICD_SECRET from the whole
    // environment, which docker_auth passes on; there is no `env:` key in its format.
    writeFileSync(
      join(dir, 'auth_config.yml'),
      `server: { addr: ":5001" }
token: { issuer: "Acme auth", expiration: 900, certificate: cert.pem, key: key.pem }
users:
  admin: { password: "${bcrypt.hashSync(ADMIN_PASSWORD, 4)}" }
  dev: { password: "${bcrypt.hashSync(DEV_PASSWORD, 4)}" }
ext_auth: { command: "${PLUGINS}ext_auth.sh", args: [] }
ext_authz: { command: "${PLUGINS}ext_authz.sh", args: [] }
acl:
  - { match: { account: admin }, actions: ["*"] }
  - { match: { labels: { group: CICD } }, actions: [pull, push] }
`,
    );
    sut = await startServerLogged(join(dir, 'auth_config.yml'));
  });

  it('admits cicd through ext_auth with CICD_SECRET from the environment', async () => {
    const res = await token(sut, 'scope=repository:ci/app:pull,push', basic('cicd', CICD_SECRET));
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as { token: string }).token).access[0].actions).toEqual(['pull', 'push']);
  });

  it('refuses cicd with a wrong secret', async () => {
    expect((await token(sut, 'scope=repository:ci/app:pull', basic('cicd', 'wrong-secret'))).status).toBe(401);
  });

  it('leaves scopes the acl does not decide to ext_authz, one run per scope', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull,push&scope=repository:team/other:delete', basic('dev', DEV_PASSWORD));
    expect(res.status).toBe(200);
    // ext_authz.sh grants nothing for delete, and a scope granted nothing is left out of the token.
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
  });
});

describe('shipped configs with hooks', () => {
  it.each(['config/example-cicd.yml', 'config/docker-auth/ext_auth_config.yml'])('%s names commands that exist and are executable', async (file) => {
    const { config, baseDir } = await loadConfigFile(file, {});
    const built = [
      ...(await Promise.all(config.authn.map((p, i) => createProvider(p, providerContext(baseDir, providerName(p, i)))))),
      ...(await Promise.all(config.authz.map((a, i) => createAuthorizer(a, authorizerContext(baseDir, authorizerName(a, i)))))),
    ];
    expect(built.length).toBeGreaterThan(1);
    await Promise.all(built.map(async (b) => b.close?.()));
  });
});

describe('config/example-cicd.yml as shipped, behind the token endpoint', () => {
  /** The password the file's own comment gives for its static admin. */
  const EXAMPLE_ADMIN_PASSWORD = 'admin-dev-password';
  let sut: RunningServer;
  const grantedTo = async (auth: string, scope: string): Promise<unknown> => {
    const res = await token(sut, `scope=${scope}`, auth);
    expect(res.status).toBe(200);
    return claimsOf(((await res.json()) as { token: string }).token).access;
  };

  beforeAll(async () => {
    // The file unchanged, in a copy of the repository layout: its relative paths (../plugins,
    // ../data for the generated development key) resolve as they would in the repository,
    // without writing key files there.
    const root = mkdtempSync(join(endpoint.dir, 'example-cicd-'));
    mkdirSync(join(root, 'config'));
    copyFileSync(EXAMPLE_CICD, join(root, 'config', 'example-cicd.yml'));
    symlinkSync(PLUGINS, join(root, 'plugins'));
    sut = await startServerLogged(join(root, 'config', 'example-cicd.yml'));
  });

  it('grants CI jobs (cicd with $CICD_SECRET, labelled CICD) pull and push, not delete', async () => {
    expect(await grantedTo(basic('cicd', CICD_SECRET), 'repository:team/app:pull,push,delete')).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    ]);
  });

  it('refuses cicd with a wrong secret', async () => {
    expect((await token(sut, 'scope=repository:team/app:pull', basic('cicd', 'wrong-secret'))).status).toBe(401);
  });

  it('lists the catalog for the admin only', async () => {
    expect(await grantedTo(basic('admin', EXAMPLE_ADMIN_PASSWORD), 'registry:catalog:*')).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    expect(await grantedTo(basic('cicd', CICD_SECRET), 'registry:catalog:*')).toEqual([]);
  });

  it('lets any other logged-in user pull, nothing more', async () => {
    // The file logs in no third kind of user (static admin, cicd through the script), so its
    // ACL and authorizers are asked directly for one, as a provider added later would see them.
    const snapshot = sut.snapshot();
    const ctx = { requestId: 'r', ip: '127.0.0.1', service: 'registry', signal: new AbortController().signal };
    const dev = { account: 'dev', service: 'registry', ip: '127.0.0.1', labels: toLabels({ group: ['dev'] }) };
    const ask = (type: string, name: string, actions: string[]) => authorizeScope(snapshot.acl, snapshot.authorizers, { ...dev, type, name, actions }, ctx);
    expect((await ask('repository', 'team/app', ['pull', 'push', 'delete'])).actions).toEqual(['pull']);
    expect((await ask('registry', 'catalog', ['*'])).actions).toEqual([]);
  });
});

describe('logs', () => {
  it('carry none of the passwords and secrets the requests above sent', () => {
    // The docker_auth server and the example-cicd server logged here too.
    expect(logLines.some((l) => l.includes('auth_config.yml'))).toBe(true);
    expect(logLines.some((l) => l.includes('example-cicd.yml'))).toBe(true);
    for (const secret of [CICD_SECRET, ADMIN_PASSWORD, DEV_PASSWORD, 'wrong-secret', 'garbage-pw', 'admin-dev-password']) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});
