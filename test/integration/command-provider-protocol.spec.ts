import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError } from '../../src/backends/command/command-error.js';
import { Secret } from '../../src/common/secret.js';
import { script } from '../support/scripts/leftover-processes.js';
import { rejection } from '../support/settled.js';
import { alicePassword, ctx, useCommandProviders } from './command-provider.fixture.js';

/** docker_auth's ext_auth protocol against real scripts: stdin, exit codes, stdout labels, setup and environment (plugins/README.md). */

const work = useCommandProviders();
const { buildSut } = work;

describe('command provider: protocol', () => {
  it('writes "user password" on stdin with one space and no newline', async () => {
    process.env.RECORD_FILE = join(work.dir, 'stdin-1');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    await sut.authenticate('alice', new Secret(alicePassword), ctx());
    expect(readFileSync(process.env.RECORD_FILE, 'utf8')).toBe('alice correct horse battery');
  });

  it('writes a single space for an anonymous request', async () => {
    process.env.RECORD_FILE = join(work.dir, 'stdin-anon');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['2'] });
    await sut.authenticate('', new Secret(''), ctx());
    expect(readFileSync(process.env.RECORD_FILE, 'utf8')).toBe(' ');
  });

  it('allows on exit 0 with the labels printed on stdout', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', '{"labels": {"group": ["CICD"], "level": "max"}}'] });
    expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'allow', labels: { group: ['CICD'], level: ['max'] } });
  });

  it('allows on exit 0 with empty stdout, without labels', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'allow', labels: {} });
  });

  it('denies on exit 1', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['1'] });
    expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'deny' });
  });

  it('answers no_match on exit 2 so the next provider is asked', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['2'] });
    expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'no_match' });
  });

  it.each(['3', '127', '255'])('fails on exit %s, naming the command', async (code) => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: [code] });
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).code).toBe('bad_exit');
    expect((err as Error).message).toContain(`exit-with.sh: exit ${code}`);
  });

  it('fails on exit 0 with stdout that is not JSON, without echoing stdout or the password', async () => {
    const sut = await buildSut({ command: script('garbage.sh') });
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect((err as CommandError).code).toBe('bad_output');
    expect((err as Error).message).toContain('garbage.sh');
    expect((err as Error).message).not.toContain('welcome');
    expect((err as Error).message).not.toContain(alicePassword);
  });

  it.each([
    ['a JSON array', '[1]'],
    ['labels that are not a map', '{"labels": ["CICD"]}'],
    ['label values that are not strings', '{"labels": {"group": [1]}}'],
  ])('fails on exit 0 with %s on stdout', async (_what, stdout) => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', stdout] });
    expect(await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()))).toMatchObject({ code: 'bad_output' });
  });

  it('drops prototype-polluting label keys printed by a script', async () => {
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0', '{"labels": {"__proto__": ["x"], "group": ["a"]}}'] });
    const result = await sut.authenticate('alice', new Secret(alicePassword), ctx());
    expect(result.kind === 'allow' && Object.keys(result.labels)).toEqual(['group']);
  });

  it('keeps stderr for the log but cuts the password out of it', async () => {
    const sut = await buildSut({ command: script('stderr-echo.sh') });
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect((err as Error).message).toContain('cannot handle: alice ***');
    expect((err as Error).message).not.toContain(alicePassword);
  });

  it('answers no_match for a user name with a space without running the command', async () => {
    process.env.RECORD_FILE = join(work.dir, 'stdin-space');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    expect(await sut.authenticate('cicd x', new Secret(alicePassword), ctx())).toEqual({ kind: 'no_match' });
    expect(existsSync(process.env.RECORD_FILE)).toBe(false);
  });
});

describe('command provider: setup', () => {
  it('refuses a command that does not exist', async () => {
    const err = await rejection(buildSut({ command: './no-such-script.sh' }));
    expect(err).toMatchObject({ code: 'not_found' });
    expect((err as Error).message).toContain('no-such-script.sh');
  });

  it('refuses a script without the execute bit', async () => {
    const file = join(work.dir, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    expect(await rejection(buildSut({ command: file }))).toMatchObject({ code: 'not_executable' });
  });

  it('resolves a relative command against the config folder', async () => {
    copyFileSync(script('exit-with.sh'), join(work.dir, 'local.sh'));
    const sut = await buildSut({ command: './local.sh', args: ['1'] });
    expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'deny' });
  });

  it('looks a bare command name up in PATH', async () => {
    const sut = await buildSut({ command: 'false' });
    expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'deny' });
  });
});

describe('command provider: environment', () => {
  const envOf = async (config: Record<string, unknown>): Promise<Record<string, string>> => {
    const file = join(work.dir, `env-${Math.random().toString(36).slice(2)}`);
    const sut = await buildSut({ command: script('record-env.sh'), args: [file], ...config });
    await sut.authenticate('alice', new Secret(alicePassword), ctx());
    return Object.fromEntries(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  };

  beforeAll(() => {
    process.env.CICD_SECRET = 'shared-ci-secret';
    process.env.REGAUTH_UNRELATED_SECRET = 'must-not-leak';
  });
  afterAll(() => {
    delete process.env.CICD_SECRET;
    delete process.env.REGAUTH_UNRELATED_SECRET;
  });

  it('passes only PATH, HOME, LANG and the variables the config names', async () => {
    const env = await envOf({ env: ['CICD_SECRET'] });
    expect(env.CICD_SECRET).toBe('shared-ci-secret');
    expect(env.PATH).toBe(process.env.PATH);
    expect(env).not.toHaveProperty('REGAUTH_UNRELATED_SECRET');
    const allowed = new Set(['PATH', 'HOME', 'LANG', 'CICD_SECRET', 'PWD', 'SHLVL', '_', 'OLDPWD']);
    expect(Object.keys(env).filter((k) => !allowed.has(k))).toEqual([]);
  });

  it("passes the server's whole environment with inherit_env (docker_auth's behaviour)", async () => {
    const env = await envOf({ env: [], inherit_env: true });
    expect(env.REGAUTH_UNRELATED_SECRET).toBe('must-not-leak');
    expect(env.CICD_SECRET).toBe('shared-ci-secret');
  });
});
