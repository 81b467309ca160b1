import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provider, RequestContext } from '../../src/authn/provider.js';
import { PluginError } from '../../src/authn/plugin/plugin-error.js';
import { pluginProviderSchema } from '../../src/authn/plugin/plugin.schema.js';
import { createPluginProvider } from '../../src/authn/plugin/plugin.provider.js';
import type { Authorizer, ScopeRequest } from '../../src/authz/authorizer.js';
import { pluginAuthorizerSchema } from '../../src/authz/plugin/plugin-authorizer.schema.js';
import { createPluginAuthorizer } from '../../src/authz/plugin/plugin.authorizer.js';
import { toLabels } from '../../src/common/labels.js';
import { OverloadedError } from '../../src/common/concurrency-limiter.js';
import { Secret } from '../../src/common/secret.js';
import { ConfigError } from '../../src/config/config-issue.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import { buildSnapshot, closeSnapshot } from '../../src/config/snapshot.js';
import { startServer } from '../../src/server.js';

/** JS plugin modules: the shipped example, modules of the wrong shape, misbehaving plugins. */

const EXAMPLE = fileURLToPath(new URL('../../plugins/example-plugin.mjs', import.meta.url));
const ROBOT_TOKEN = 'robot-deploy-token-123';
const ctx = (): RequestContext => ({ requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal: new AbortController().signal });
const pullPush: ScopeRequest = { account: 'alice', type: 'repository', name: 'public/base', service: 'registry', ip: null, labels: toLabels({}), actions: ['pull', 'push'] };
const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

let work: string;
let moduleCount = 0;
/** Writes an ES module into the work folder and returns its file name. */
const writeModule = (source: string): string => {
  const name = `plugin-${++moduleCount}.mjs`;
  writeFileSync(join(work, name), source);
  return name;
};

const provider = (config: Record<string, unknown>): Promise<Provider> =>
  createPluginProvider(pluginProviderSchema.parse({ type: 'plugin', ...config }), { baseDir: work, name: 'plug' });
const authorizer = (config: Record<string, unknown>): Promise<Authorizer> =>
  createPluginAuthorizer(pluginAuthorizerSchema.parse({ type: 'plugin', ...config }), { baseDir: work, name: 'plug-authz' });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'regauth-plugin-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('shipped example plugin', () => {
  const robots = { 'robot-deploy': { token_sha256: createHash('sha256').update(ROBOT_TOKEN).digest('hex'), labels: { group: ['deploy'] } } };

  it('admits a robot with its token and its labels', async () => {
    const sut = await provider({ module: EXAMPLE, options: { robots } });
    expect(await sut.authenticate('robot-deploy', new Secret(ROBOT_TOKEN), ctx())).toEqual({ kind: 'allow', labels: { group: ['deploy'] } });
  });

  it('denies a robot with a wrong token and leaves other users to the next provider', async () => {
    const sut = await provider({ module: EXAMPLE, options: { robots } });
    expect(await sut.authenticate('robot-deploy', new Secret('nope'), ctx())).toEqual({ kind: 'deny' });
    expect(await sut.authenticate('alice', new Secret(ROBOT_TOKEN), ctx())).toEqual({ kind: 'no_match' });
  });

  it('refuses to start with a malformed robot token hash', async () => {
    await expect(provider({ module: EXAMPLE, options: { robots: { r: { token_sha256: 'abc' } } } })).rejects.toThrow('robots.r.token_sha256');
  });

  it('grants pull on public repositories and has no opinion elsewhere', async () => {
    const sut = await authorizer({ module: EXAMPLE, options: { public_prefix: 'public/' } });
    expect(await sut.authorize(pullPush, ctx())).toEqual({ kind: 'decided', actions: ['pull'] });
    expect(await sut.authorize({ ...pullPush, name: 'team/app' }, ctx())).toEqual({ kind: 'no_match' });
  });

  it('works from a config file that names it relative to the config folder', async () => {
    const dir = mkdtempSync(join(work, 'cfg-'));
    writeFileSync(
      join(dir, 'config.yml'),
      `token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
authn:
  - type: plugin
    module: ${JSON.stringify(relative(dir, EXAMPLE))}
    options: { robots: ${JSON.stringify(robots)} }
authz:
  - { type: plugin, module: ${JSON.stringify(EXAMPLE)} }
`,
    );
    const server = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logLevel: 'silent' });
    try {
      const res = await fetch(`${server.url}/auth?service=registry&scope=repository:public/base:pull,push`, {
        headers: { authorization: `Basic ${Buffer.from(`robot-deploy:${ROBOT_TOKEN}`).toString('base64')}` },
      });
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).access).toEqual([
        { type: 'repository', name: 'public/base', actions: ['pull'] },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('plugin module names', () => {
  it('loads a path relative to the config folder written without ./', async () => {
    mkdirSync(join(work, 'local-plugins'), { recursive: true });
    writeFileSync(join(work, 'local-plugins', 'deny-all.mjs'), 'export const createProvider = () => ({ authenticate: async () => ({ kind: "deny" }) });\n');
    const sut = await provider({ module: 'local-plugins/deny-all.mjs' });
    expect(await sut.authenticate('alice', new Secret('pw'), ctx())).toEqual({ kind: 'deny' });
  });

  it('names the file it looked for when neither that file nor a package of that name exists', async () => {
    const err = await rejection(provider({ module: 'local-plugins/not-there.mjs' }));
    expect(err).toMatchObject({ code: 'load_failed', message: expect.stringContaining(`no file ${join(work, 'local-plugins', 'not-there.mjs')}`) });
  });
});

describe('plugin modules of the wrong shape are startup errors', () => {
  it('names the missing factory', async () => {
    const err = await rejection(provider({ module: `./${writeModule('export const hello = 1;')}` }));
    expect(err).toBeInstanceOf(PluginError);
    expect((err as Error).message).toMatch(/must export a function createProvider\(options, context\); exports: hello/);
  });

  it('names a factory whose result has no authenticate method', async () => {
    const err = await rejection(provider({ module: `./${writeModule('export function createProvider() { return { check() {} }; }')}` }));
    expect((err as Error).message).toContain('createProvider() must return an object with an authenticate(user, password, ctx) method');
  });

  it('names an authorizer module without createAuthorizer', async () => {
    const err = await rejection(authorizer({ module: `./${writeModule('export function createProvider() {}')}` }));
    expect((err as Error).message).toContain('must export a function createAuthorizer');
  });

  // (A module with a syntax error is refused the same way; Jest's ESM loader reports that
  // one a second time as an unhandled rejection, so it is not exercised here.)
  it('reports a module that throws while loading, or does not exist', async () => {
    const throwing = await rejection(provider({ module: `./${writeModule('throw new Error("config missing");')}` }));
    expect(throwing).toMatchObject({ code: 'load_failed', message: expect.stringContaining('config missing') });
    expect(await rejection(provider({ module: './no-such-plugin.mjs' }))).toMatchObject({ code: 'load_failed' });
  });

  it('fails the server start with a config error that points at the entry', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    writeFileSync(join(dir, 'shapeless.mjs'), 'export default 42;\n');
    writeFileSync(
      join(dir, 'config.yml'),
      `token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
authn: []
authz:
  - { type: plugin, module: ./shapeless.mjs }
`,
    );
    const err = await rejection(buildSnapshot(await loadConfigFile(join(dir, 'config.yml'))));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ path: 'authz[0]', message: expect.stringContaining('must export a function createAuthorizer') }]);
  });
});

describe('plugin contract at run time', () => {
  it('accepts factories on the default export, and async factories', async () => {
    const sut = await provider({
      module: `./${writeModule('export default { async createProvider(options) { return { async authenticate(u) { return { kind: "allow", labels: { who: [u, options.tag] } }; } }; } };')}`,
      options: { tag: 't1' },
    });
    expect(await sut.authenticate('alice', new Secret('pw'), ctx())).toEqual({ kind: 'allow', labels: { who: ['alice', 't1'] } });
  });

  it('hands the password over as a Secret', async () => {
    const sut = await provider({
      module: `./${writeModule('export function createProvider() { return { async authenticate(u, p) { return { kind: "allow", labels: { shown: [String(p)], len: [String(p.reveal().length)] } }; } }; }')}`,
    });
    expect(await sut.authenticate('alice', new Secret('12345'), ctx())).toEqual({ kind: 'allow', labels: { shown: ['***'], len: ['5'] } });
  });

  it.each([
    ['an unknown kind', '{ kind: "maybe" }'],
    ['nothing', 'undefined'],
    ['an account that is not a string', '{ kind: "allow", account: 42 }'],
  ])('fails a call that resolves to %s', async (_what, value) => {
    const sut = await provider({ module: `./${writeModule(`export function createProvider() { return { async authenticate() { return ${value}; } }; }`)}` });
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'bad_result' });
  });

  it('sanitises labels a plugin returns', async () => {
    const sut = await provider({
      module: `./${writeModule('export function createProvider() { return { async authenticate() { return { kind: "allow", labels: JSON.parse(\'{"__proto__": ["x"], "g": ["a", 1]}\') }; } }; }')}`,
    });
    const result = await sut.authenticate('alice', new Secret('pw'), ctx());
    expect(result.kind === 'allow' && { ...result.labels }).toEqual({ g: ['a'] });
  });

  it('gives up on a plugin call that never settles, at its deadline', async () => {
    const sut = await provider({ module: `./${writeModule('export function createProvider() { return { authenticate: () => new Promise(() => {}) }; }')}`, timeout: '200ms' });
    const started = Date.now();
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps the slot of a call that ignores its deadline until it settles, and sheds calls past the bound meanwhile', async () => {
    const slow = writeModule('export function createProvider() { return { authenticate: () => new Promise((r) => setTimeout(() => r({ kind: "deny" }), 400)) }; }');
    const sut = await provider({ module: `./${slow}`, timeout: '100ms', concurrency: 1, queue: 0 });
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'timeout' });
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toBeInstanceOf(OverloadedError);
    await new Promise((r) => setTimeout(r, 400));
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'timeout' });
  });

  it('fails an authorizer whose answer is outside the contract', async () => {
    const sut = await authorizer({ module: `./${writeModule('export function createAuthorizer() { return { async authorize() { return { kind: "decided", actions: "pull" }; } }; }')}` });
    expect(await rejection(sut.authorize(pullPush, ctx()))).toMatchObject({ code: 'bad_result' });
  });

  it('closes the plugin instance with the snapshot', async () => {
    const marker = join(work, 'closed-marker');
    const dir = mkdtempSync(join(work, 'close-'));
    writeFileSync(
      join(dir, 'closing.mjs'),
      `import { writeFileSync } from 'node:fs';
export function createProvider() { return { async authenticate() { return { kind: 'no_match' }; }, async close() { writeFileSync(${JSON.stringify(marker)}, 'closed'); } }; }
`,
    );
    writeFileSync(
      join(dir, 'config.yml'),
      `token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
authn: [{ type: plugin, module: ./closing.mjs }]
`,
    );
    await closeSnapshot(await buildSnapshot(await loadConfigFile(join(dir, 'config.yml'))));
    expect(readFileSync(marker, 'utf8')).toBe('closed');
  });

  it('imports a changed module afresh on the next load (reload)', () => {
    // Jest's module registry ignores query strings, so this runs the built loader in plain Node,
    // where ESM caching by URL is the behaviour that matters.
    const file = join(work, 'changing.mjs');
    const loader = fileURLToPath(new URL('../../dist/authn/plugin/plugin-loader.js', import.meta.url));
    const program = `
      import { utimesSync, writeFileSync } from 'node:fs';
      import { importPlugin } from ${JSON.stringify(loader)};
      const file = ${JSON.stringify(file)};
      writeFileSync(file, 'export const version = 1;');
      utimesSync(file, new Date(), new Date(Date.now() - 60_000));
      const first = await importPlugin('./changing.mjs', ${JSON.stringify(work)});
      writeFileSync(file, 'export const version = 2;');
      const second = await importPlugin('./changing.mjs', ${JSON.stringify(work)});
      process.stdout.write(JSON.stringify([first.version, second.version]));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([1, 2]);
  });
});
