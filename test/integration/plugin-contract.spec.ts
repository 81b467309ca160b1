import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OverloadedError } from '../../src/common/concurrency-limiter.js';
import { Secret } from '../../src/common/secret.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import { buildSnapshot, closeSnapshot } from '../../src/config/snapshot.js';
import { rejection } from '../support/settled.js';
import { ctx, pullPush, usePluginWork } from './plugin.fixture.js';

/** JS plugin modules at run time: what the contract accepts, misbehaving plugins, closing and reloading. */

const work = usePluginWork();
const { writeModule, provider, authorizer } = work;

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

  it('drops prototype-polluting label names a plugin returns', async () => {
    const sut = await provider({
      module: `./${writeModule('export function createProvider() { return { async authenticate() { return { kind: "allow", labels: JSON.parse(\'{"__proto__": ["x"], "g": ["a"]}\') }; } }; }')}`,
    });
    const result = await sut.authenticate('alice', new Secret('pw'), ctx());
    expect(result.kind === 'allow' && { ...result.labels }).toEqual({ g: ['a'] });
  });

  it('fails (503) on a label value that is not a string instead of dropping it', async () => {
    const sut = await provider({
      module: `./${writeModule('export function createProvider() { return { async authenticate() { return { kind: "allow", labels: { blocked: [true] } }; } }; }')}`,
    });
    const err = await rejection(sut.authenticate('alice', new Secret('pw'), ctx()));
    expect(err).toMatchObject({ code: 'bad_result', message: expect.stringContaining('label "blocked" has a value that is not a string') });
  });

  it('gives up on a plugin call that never settles, at its deadline', async () => {
    const sut = await provider({
      module: `./${writeModule('export function createProvider() { return { authenticate: () => new Promise(() => {}) }; }')}`,
      timeout: '200ms',
    });
    const started = Date.now();
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps the slot of a call that ignores its deadline until it settles, and sheds calls past the bound meanwhile', async () => {
    const slow = writeModule(
      'export function createProvider() { return { authenticate: () => new Promise((r) => setTimeout(() => r({ kind: "deny" }), 400)) }; }',
    );
    const sut = await provider({ module: `./${slow}`, timeout: '100ms', concurrency: 1, queue: 0 });
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'timeout' });
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toBeInstanceOf(OverloadedError);
    await new Promise((r) => setTimeout(r, 400));
    expect(await rejection(sut.authenticate('alice', new Secret('pw'), ctx()))).toMatchObject({ code: 'timeout' });
  });

  it('fails an authorizer whose answer is outside the contract', async () => {
    const sut = await authorizer({
      module: `./${writeModule('export function createAuthorizer() { return { async authorize() { return { kind: "decided", actions: "pull" }; } }; }')}`,
    });
    expect(await rejection(sut.authorize(pullPush, ctx()))).toMatchObject({ code: 'bad_result' });
  });

  it('closes the plugin instance with the snapshot', async () => {
    const marker = join(work.dir, 'closed-marker');
    const dir = mkdtempSync(join(work.dir, 'close-'));
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
    const file = join(work.dir, 'changing.mjs');
    const loader = fileURLToPath(new URL('../../dist/backends/plugin/plugin-loader.js', import.meta.url));
    const program = `
      import { utimesSync, writeFileSync } from 'node:fs';
      import { importPlugin } from ${JSON.stringify(loader)};
      const file = ${JSON.stringify(file)};
      writeFileSync(file, 'export const version = 1;');
      utimesSync(file, new Date(), new Date(Date.now() - 60_000));
      const first = await importPlugin('./changing.mjs', ${JSON.stringify(work.dir)});
      writeFileSync(file, 'export const version = 2;');
      const second = await importPlugin('./changing.mjs', ${JSON.stringify(work.dir)});
      process.stdout.write(JSON.stringify([first.version, second.version]));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([1, 2]);
  });
});
