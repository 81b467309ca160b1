import bcrypt from 'bcrypt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createProvider, providerName } from '../../src/authn/provider-registry.js';
import { authorizerName, createAuthorizer } from '../../src/authz/authorizer-registry.js';
import { Secret } from '../../src/common/secret.js';
import { ConfigError } from '../../src/config/config-issue.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { generateKeyAndCertificate } from '../../src/token/index.js';
import { PidRecorder, script } from '../support/scripts/leftover-processes.js';

/** Command providers and authorizers behind the real token endpoint. */

const PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
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

async function startWith(name: string, yaml: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(work, `${name}-`));
  writeFileSync(join(dir, 'config.yml'), yaml);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const server = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: createLogger('debug', sink) });
  servers.push(server);
  return server;
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
  process.env.PIDS_DIR = pids.dir;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  delete process.env.CICD_SECRET;
  delete process.env.PIDS_DIR;
  pids.remove();
  rmSync(work, { recursive: true, force: true });
  // Whatever happened above, no password reached a log line.
  for (const line of logLines) for (const secret of [CICD_SECRET, ADMIN_PASSWORD, DEV_PASSWORD, 'wrong-secret']) expect(line).not.toContain(secret);
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
    sut = await startServer({ configFile: join(dir, 'auth_config.yml'), host: '127.0.0.1', port: 0, logLevel: 'silent' });
    servers.push(sut);
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
    expect(claimsOf(((await res.json()) as { token: string }).token).access).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'team/other', actions: [] },
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

  it('config/example-cicd.yml admits cicd with $CICD_SECRET and labels it for the ACL', async () => {
    const { config, baseDir } = await loadConfigFile('config/example-cicd.yml', {});
    const hook = config.authn.find((p) => p.type === 'command')!;
    const sut = await createProvider(hook, { baseDir, name: 'cicd' });
    const result = await sut.authenticate('cicd', new Secret(CICD_SECRET), { requestId: 'r', ip: null, service: 'registry', signal: new AbortController().signal });
    expect(result).toEqual({ kind: 'allow', labels: { group: ['CICD'] } });
  });
});
