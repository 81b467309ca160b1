import bcrypt from 'bcrypt';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createProvider, providerName } from '../../src/authn/provider-registry.js';
import { authorizerName, createAuthorizer } from '../../src/authz/authorizer-registry.js';
import { authorizeScope } from '../../src/authz/authz-chain.js';
import { toLabels } from '../../src/common/labels.js';
import { ConfigError } from '../../src/config/config-issue.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { generateKeyAndCertificate } from '../../src/token/index.js';
import { PidRecorder, script } from '../support/scripts/leftover-processes.js';

/** Command providers and authorizers behind the real token endpoint. */

const PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
const EXAMPLE_CICD = fileURLToPath(new URL('../../config/example-cicd.yml', import.meta.url));
const CICD_SECRET = 'ci-shared-secret with spaces';
const ADMIN_PASSWORD = 'admin-endpoint-pw';
const DEV_PASSWORD = 'dev-endpoint-pw';
const pids = new PidRecorder();
let work: string;
const logLines: string[] = [];
const servers: RunningServer[] = [];

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const claimsOf = (token: string): { access: { type: string; name: string; actions: string[] }[] } =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: { type: string; name: string; actions: string[] }[] };

/** A debug logger whose lines all land in logLines, which the last test scans for secrets. */
const capturedLogger = (): Logger =>
  createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  );

async function startServerLogged(configFile: string): Promise<RunningServer> {
  const server = await startServer({ configFile, host: '127.0.0.1', port: 0, logger: capturedLogger() });
  servers.push(server);
  return server;
}

async function startWith(name: string, yaml: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(work, `${name}-`));
  writeFileSync(join(dir, 'config.yml'), yaml);
  return startServerLogged(join(dir, 'config.yml'));
}

const token = (server: RunningServer, query: string, auth?: string): Promise<Response> =>
  fetch(`${server.url}/auth?service=registry&${query}`, { headers: auth ? { authorization: auth } : {} });

const nativeConfig = (authn: string, extra = ''): string => `
token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
services: [registry]
authn:
  - type: static
    users:
      admin: { password: "${bcrypt.hashSync(ADMIN_PASSWORD, 4)}" }
${authn}
acl:
  - { match: { account: admin }, actions: ["*"] }
  - { match: { labels: { group: CICD } }, actions: [pull, push] }
  - { match: { account: "/.+/" }, actions: [pull] }
${extra}`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'regauth-cmd-endpoint-'));
  process.env.CICD_SECRET = CICD_SECRET;
  pids.track();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  delete process.env.CICD_SECRET;
  pids.remove();
  rmSync(work, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await pids.waitUntilGone()).toEqual([]);
  pids.reset();
});

describe('native config with the shipped ext_auth.sh', () => {
  let sut: RunningServer;
  beforeAll(async () => {
    sut = await startWith('cicd', nativeConfig(`  - { type: command, command: "${PLUGINS}ext_auth.sh", env: [CICD_SECRET] }`));
  });

  it('admits cicd with the shared secret from the environment and applies its CICD label', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull,push', basic('cicd', CICD_SECRET));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string };
    expect(claimsOf(body.token).access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
  });

  it('refuses cicd with a wrong secret', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull', basic('cicd', 'wrong-secret'));
    expect(res.status).toBe(401);
  });

  it('still lets the static users in first', async () => {
    const res = await token(sut, 'scope=registry:catalog:*', basic('admin', ADMIN_PASSWORD));
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as { token: string }).token).access[0]!.actions).toEqual(['*']);
  });
});

describe('failing commands over HTTP', () => {
  it('answers 503 with Retry-After and a generic body when a script prints garbage, and logs the command', async () => {
    const sut = await startWith('garbage', nativeConfig(`  - { type: command, name: hook, command: "${script('garbage.sh')}" }`));
    const res = await token(sut, 'scope=repository:team/app:pull', basic('someone', 'garbage-pw'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await res.text();
    expect(body).not.toContain('garbage.sh');
    expect(body).not.toContain('welcome');
    const logged = logLines.filter((l) => l.includes('garbage.sh'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain('garbage-pw');
  });

  it('answers 503 with Retry-After when the command is at its concurrency and queue bound', async () => {
    const sut = await startWith('busy', nativeConfig(`  - { type: command, command: "${script('slow-allow.sh')}", args: ["0.5"], concurrency: 1, queue: 0 }`));
    const results = await Promise.all([0, 1, 2].map(() => token(sut, 'scope=repository:team/app:pull', basic('someone', 'pw'))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 503, 503]);
    expect(results.find((r) => r.status === 503)!.headers.get('retry-after')).toBe('5');
  });

  it('answers 503 with Retry-After when an authorizer fails', async () => {
    const sut = await startWith(
      'authz-broken',
      `token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
authn:
  - type: static
    users:
      admin: { password: "${bcrypt.hashSync(ADMIN_PASSWORD, 4)}" }
      dev: { password: "${bcrypt.hashSync(DEV_PASSWORD, 4)}" }
acl:
  - { match: { account: admin }, actions: ["*"] }
authz:
  - { type: command, name: broken-authz, command: "${script('exit-with.sh')}", args: ["3"] }
`,
    );
    expect((await token(sut, 'scope=repository:team/app:pull', basic('admin', ADMIN_PASSWORD))).status).toBe(200);
    const res = await token(sut, 'scope=repository:team/app:pull', basic('dev', DEV_PASSWORD));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).not.toContain('exit-with');
    expect(logLines.some((l) => l.includes('broken-authz') && l.includes('exit 3'))).toBe(true);
  });

  it('refuses to start when the command is missing, naming the provider entry', async () => {
    const err = await startWith('missing', nativeConfig(`  - { type: command, command: ./not-there.sh }`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ path: 'authn[1]', message: expect.stringContaining('not-there.sh') }]);
  });
});

describe('docker_auth config with ext_auth and ext_authz, unchanged', () => {
  let sut: RunningServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(work, 'docker-auth-'));
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
    expect(claimsOf(((await res.json()) as { token: string }).token).access[0]!.actions).toEqual(['pull', 'push']);
  });

  it('refuses cicd with a wrong secret', async () => {
    expect((await token(sut, 'scope=repository:ci/app:pull', basic('cicd', 'wrong-secret'))).status).toBe(401);
  });

  it('leaves scopes the acl does not decide to ext_authz, one run per scope', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull,push&scope=repository:team/other:delete', basic('dev', DEV_PASSWORD));
    expect(res.status).toBe(200);
    // ext_authz.sh grants nothing for delete, and a scope granted nothing is left out of the token.
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    ]);
  });
});

describe('shipped configs with hooks', () => {
  it.each(['config/example-cicd.yml', 'config/docker-auth/ext_auth_config.yml'])('%s names commands that exist and are executable', async (file) => {
    const { config, baseDir } = await loadConfigFile(file, {});
    const built = [
      ...(await Promise.all(config.authn.map((p, i) => createProvider(p, { baseDir, name: providerName(p, i) })))),
      ...(await Promise.all(config.authz.map((a, i) => createAuthorizer(a, { baseDir, name: authorizerName(a, i) })))),
    ];
    expect(built.length).toBeGreaterThan(1);
    await Promise.all(built.map((b) => b.close?.()));
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
    const root = mkdtempSync(join(work, 'example-cicd-'));
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
