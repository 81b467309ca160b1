import { createHash } from 'node:crypto';
import { scannedLogger } from '../support/log-scan.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PluginError } from '../../src/backends/plugin/plugin-error.js';
import { Secret } from '../../src/common/secret.js';
import { ConfigError } from '../../src/config/config-issue.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import { buildSnapshot } from '../../src/config/snapshot.js';
import { startServer } from '../../src/server.js';
import { rejection } from '../support/settled.js';
import { ctx, EXAMPLE, pullPush, ROBOT_TOKEN, usePluginWork } from './plugin.fixture.js';

/** JS plugin modules: the shipped example, how module names resolve, modules of the wrong shape. */

const work = usePluginWork();
const { writeModule, provider, authorizer } = work;

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
    const dir = mkdtempSync(join(work.dir, 'cfg-'));
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
    const server = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logger: scannedLogger() });
    try {
      const res = await fetch(`${server.url}/auth?service=registry&scope=repository:public/base:pull,push`, {
        headers: { authorization: `Basic ${Buffer.from(`robot-deploy:${ROBOT_TOKEN}`).toString('base64')}` },
      });
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      expect((JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { access: unknown }).access).toEqual([
        { type: 'repository', name: 'public/base', actions: ['pull'] },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('plugin module names', () => {
  it('loads a path relative to the config folder written without ./', async () => {
    mkdirSync(join(work.dir, 'local-plugins'), { recursive: true });
    writeFileSync(join(work.dir, 'local-plugins', 'deny-all.mjs'), 'export const createProvider = () => ({ authenticate: async () => ({ kind: "deny" }) });\n');
    const sut = await provider({ module: 'local-plugins/deny-all.mjs' });
    expect(await sut.authenticate('alice', new Secret('pw'), ctx())).toEqual({ kind: 'deny' });
  });

  it('names the file it looked for when neither that file nor a package of that name exists', async () => {
    const err = await rejection(provider({ module: 'local-plugins/not-there.mjs' }));
    expect(err).toMatchObject({ code: 'load_failed', message: expect.stringContaining(`no file ${join(work.dir, 'local-plugins', 'not-there.mjs')}`) });
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
    const dir = mkdtempSync(join(work.dir, 'bad-'));
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
