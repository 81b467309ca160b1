import bcrypt from 'bcrypt';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { generateKeyAndCertificate } from '../../src/token/index.js';
import { eventually, pause } from '../support/settled.js';
import { basic, capturingLogger, claimsOf } from '../support/token-server.fixture.js';

/**
 * The config follows its files without SIGHUP: edited in place, replaced by rename, swapped the
 * way Kubernetes swaps a ConfigMap, a referenced key or script changed. A broken file is refused
 * once and the previous config keeps serving.
 */

const PASSWORD = 'watch-password';
const hash = bcrypt.hashSync(PASSWORD, 4);

const config = (actions: string, extra = ''): string => `reload: { debounce: 100ms }
token: { issuer: watch, keys: [{ key: key.pem }] }
services: [registry]
authn: [{ type: static, users: { alice: { password: "${hash}" } } }]
acl: [{ match: { account: alice }, actions: ${actions} }]
${extra}`;

describe('reload on file changes', () => {
  let dir: string;
  let sut: RunningServer;
  let logs: string[];

  const granted = async (): Promise<string[]> => {
    const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:app:pull,push`, { headers: { authorization: basic('alice', PASSWORD) } });
    return claimsOf<{ access: Array<{ actions: string[] }> }>(((await res.json()) as { token: string }).token).access.flatMap((a) => a.actions);
  };
  const count = (message: string): number => logs.filter((l) => l.includes(`"msg":"${message}"`)).length;
  const writeKey = async (file: string): Promise<void> => {
    const pair = await generateKeyAndCertificate({ type: 'ec', curve: 'P-256', commonName: 'watch', days: 1 });
    writeFileSync(file, pair.keyPem, { mode: 0o600 });
  };
  const start = async (configDir: string, file = join(configDir, 'config.yml')): Promise<void> => {
    logs = [];
    sut = await startServer({ configFile: file, host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-watch-'));
    await writeKey(join(dir, 'key.pem'));
  });
  afterEach(async () => {
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads a config file edited in place', async () => {
    writeFileSync(join(dir, 'config.yml'), config('[pull]'));
    await start(dir);
    expect(await granted()).toEqual(['pull']);

    writeFileSync(join(dir, 'config.yml'), config('[pull, push]'));
    await eventually(() => count('config reloaded') === 1, 5_000);
    expect(await granted()).toEqual(['pull', 'push']);
  });

  it('reloads a config file replaced by rename, as editors and mv -f do', async () => {
    writeFileSync(join(dir, 'config.yml'), config('[pull]'));
    await start(dir);

    writeFileSync(join(dir, '.config.yml.tmp'), config('[pull, push]'));
    renameSync(join(dir, '.config.yml.tmp'), join(dir, 'config.yml'));
    await eventually(() => count('config reloaded') === 1, 5_000);
    expect(await granted()).toEqual(['pull', 'push']);
  });

  it('follows a Kubernetes-style ConfigMap update (the ..data symlink is swapped)', async () => {
    const mount = join(dir, 'mount');
    mkdirSync(join(mount, 'v1'), { recursive: true });
    writeFileSync(join(mount, 'v1', 'config.yml'), config('[pull]').replace('key: key.pem', `key: ${join(dir, 'key.pem')}`));
    symlinkSync('v1', join(mount, '..data'));
    symlinkSync(join('..data', 'config.yml'), join(mount, 'config.yml'));
    await start(mount);
    expect(await granted()).toEqual(['pull']);

    mkdirSync(join(mount, 'v2'));
    writeFileSync(join(mount, 'v2', 'config.yml'), config('[pull, push]').replace('key: key.pem', `key: ${join(dir, 'key.pem')}`));
    symlinkSync('v2', join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    await eventually(() => count('config reloaded') === 1, 5_000);
    expect(await granted()).toEqual(['pull', 'push']);
  });

  it('reloads when a referenced signing key is rotated, and the new key signs', async () => {
    writeFileSync(join(dir, 'config.yml'), config('[pull]'));
    await start(dir);
    const kid = sut.snapshot().keys.signer.kid;

    await writeKey(join(dir, 'key.pem'));
    await eventually(() => sut.snapshot().keys.signer.kid !== kid, 5_000);
    expect(count('config reloaded')).toBe(1);
  });

  it('reloads when a command script the config names changes', async () => {
    const scriptFile = join(dir, 'ext_auth.sh');
    writeFileSync(scriptFile, '#!/bin/sh\nexit 2\n', { mode: 0o755 });
    writeFileSync(join(dir, 'config.yml'), config('[pull]', `authz: [{ type: command, command: ./ext_auth.sh }]\n`));
    await start(dir);

    writeFileSync(scriptFile, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    await eventually(() => count('config reloaded') === 1, 5_000);
  });

  it('refuses a broken file once, keeps serving, and takes the fixed file', async () => {
    writeFileSync(join(dir, 'config.yml'), config('[pull]'));
    await start(dir);

    writeFileSync(join(dir, 'config.yml'), 'token: { issuer: [broken\n');
    await eventually(() => count('config reload rejected; still serving the previous config') === 1, 5_000);
    // Unrelated writes in the same folder do not retry the same broken file.
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(dir, `noise-${i}.txt`), 'x');
      await pause(150);
    }
    expect(count('config reload rejected; still serving the previous config')).toBe(1);
    expect(await granted()).toEqual(['pull']);

    writeFileSync(join(dir, 'config.yml'), config('[pull, push]'));
    await eventually(() => count('config reloaded') === 1, 5_000);
    expect(await granted()).toEqual(['pull', 'push']);
  });

  it('loses no request while the file flips between good and broken configs 50 times, and grants follow each good file', async () => {
    writeFileSync(join(dir, 'config.yml'), config('[pull]'));
    await start(dir);
    const seen: string[] = [];
    const failures: number[] = [];
    let running = true;
    const client = async (): Promise<void> => {
      while (running) {
        const res = await fetch(`${sut.url}/auth?service=registry&scope=repository:app:pull,push`, { headers: { authorization: basic('alice', PASSWORD) } });
        if (res.status !== 200) failures.push(res.status);
        else
          seen.push(
            claimsOf<{ access: Array<{ actions: string[] }> }>(((await res.json()) as { token: string }).token)
              .access.flatMap((a) => a.actions)
              .join(','),
          );
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);

    let reloads = 0;
    let rejections = 0;
    for (let flip = 0; flip < 50; flip++) {
      if (flip % 2 === 1) {
        writeFileSync(join(dir, 'config.yml'), `token: { issuer: [broken-${flip}\n`);
        rejections++;
        await eventually(() => count('config reload rejected; still serving the previous config') === rejections, 5_000);
      } else {
        const actions = flip % 4 === 0 ? '[pull, push]' : '[pull]';
        writeFileSync(join(dir, 'config.yml'), config(actions));
        reloads++;
        await eventually(() => count('config reloaded') === reloads, 5_000);
        // From the moment the reload is logged, every new request sees the new grants.
        expect(await granted()).toEqual(actions === '[pull]' ? ['pull'] : ['pull', 'push']);
      }
    }
    running = false;
    await load;

    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(100);
    expect(new Set(seen)).toEqual(new Set(['pull', 'pull,push']));
  });

  it('does nothing when reload.watch is off', async () => {
    writeFileSync(join(dir, 'config.yml'), config('[pull]').replace('reload: { debounce: 100ms }', 'reload: { watch: false }'));
    await start(dir);
    writeFileSync(join(dir, 'config.yml'), config('[pull, push]').replace('reload: { debounce: 100ms }', 'reload: { watch: false }'));
    await pause(800);
    expect(await granted()).toEqual(['pull']);
  });
});
