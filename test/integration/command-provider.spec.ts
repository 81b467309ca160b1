import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError } from '../../src/authn/command/command-error.js';
import { createCommandProvider } from '../../src/authn/command/command.provider.js';
import { commandProviderSchema } from '../../src/authn/command/command.schema.js';
import { OverloadedError } from '../../src/common/concurrency-limiter.js';
import type { Provider, RequestContext } from '../../src/authn/provider.js';
import { Secret } from '../../src/common/secret.js';
import { environmentOf, PidRecorder, script } from '../support/scripts/leftover-processes.js';

/** docker_auth's ext_auth protocol against real scripts (docker-auth-compat.md, security rule 17). */

const pids = new PidRecorder();
let work: string;

const ctx = (signal = new AbortController().signal): RequestContext => ({ requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal });
const alicePassword = 'correct horse battery';

async function buildSut(config: Record<string, unknown>): Promise<Provider> {
  return createCommandProvider(commandProviderSchema.parse({ type: 'command', env: ['PIDS_DIR', 'RECORD_FILE'], ...config }), { baseDir: work, name: 'ext' });
}

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'regauth-command-'));
  pids.track();
});
afterAll(() => {
  delete process.env.RECORD_FILE;
  pids.remove();
  rmSync(work, { recursive: true, force: true });
});
afterEach(async () => {
  delete process.env.RECORD_FILE;
  expect(await pids.waitUntilGone()).toEqual([]);
  pids.reset();
});

describe('command provider: protocol', () => {
  it('writes "user password" on stdin with one space and no newline', async () => {
    process.env.RECORD_FILE = join(work, 'stdin-1');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    await sut.authenticate('alice', new Secret(alicePassword), ctx());
    expect(readFileSync(process.env.RECORD_FILE, 'utf8')).toBe('alice correct horse battery');
  });

  it('writes a single space for an anonymous request', async () => {
    process.env.RECORD_FILE = join(work, 'stdin-anon');
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
    process.env.RECORD_FILE = join(work, 'stdin-space');
    const sut = await buildSut({ command: script('exit-with.sh'), args: ['0'] });
    expect(await sut.authenticate('cicd x', new Secret(alicePassword), ctx())).toEqual({ kind: 'no_match' });
    expect(existsSync(process.env.RECORD_FILE)).toBe(false);
  });
});

describe('command provider: misbehaving commands', () => {
  it('kills a command that sleeps past the deadline and fails at the deadline', async () => {
    const sut = await buildSut({ command: script('sleep-past-deadline.sh'), timeout: '300ms' });
    const started = Date.now();
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect((err as CommandError).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers at the deadline even when the command ignores SIGTERM, and SIGKILLs its group', async () => {
    const sut = await buildSut({ command: script('hang-ignoring-term.sh'), timeout: '300ms' });
    const started = Date.now();
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect((err as CommandError).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    // afterEach checks that the script and its background sleep, which ignores SIGTERM too, are
    // gone once the grace period is over: only a SIGKILL to the whole group does that.
  });

  it('answers as soon as the command exits although a grandchild still holds its stdout, and kills the grandchild', async () => {
    const sut = await buildSut({ command: script('grandchild-holds-pipe.sh'), timeout: '5s' });
    const started = Date.now();
    const result = await sut.authenticate('alice', new Secret(alicePassword), ctx());
    expect(result).toEqual({ kind: 'allow', labels: { group: ['from-parent'] } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(pids.recorded()).toHaveLength(2);
  });

  it('kills a command that floods stdout past the cap', async () => {
    const sut = await buildSut({ command: script('flood-stdout.sh'), max_output: 4096 });
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect((err as CommandError).code).toBe('output_too_large');
  });

  it('reads and drops a flood on stderr, so the command is not blocked, and keeps only its start for the log', async () => {
    const sut = await buildSut({ command: script('flood-stderr.sh'), timeout: '5s' });
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    expect((err as CommandError).code).toBe('bad_exit');
    expect((err as Error).message).toContain('eeee');
    expect((err as Error).message.length).toBeLessThan(1024);
  });

  it('uses the exit code of a command that exits before reading its stdin', async () => {
    // Far more than a pipe buffer, so the write is still pending when the command exits.
    const sut = await buildSut({ command: script('exit-without-reading.sh'), args: ['1'] });
    expect(await sut.authenticate('alice', new Secret('p'.repeat(1024 * 1024)), ctx())).toEqual({ kind: 'deny' });
  });

  it('kills the command when the request is aborted', async () => {
    const sut = await buildSut({ command: script('sleep-past-deadline.sh'), timeout: '10s' });
    const request = new AbortController();
    setTimeout(() => request.abort(), 200);
    const err = await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx(request.signal)));
    expect((err as CommandError).code).toBe('aborted');
  });

  it('kills running commands on close', async () => {
    const sut = await buildSut({ command: script('sleep-past-deadline.sh'), timeout: '10s' });
    const pending = rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()));
    while (pids.recorded().length === 0) await new Promise((r) => setTimeout(r, 20));
    await sut.close!();
    expect(pids.leftovers()).toEqual([]);
    expect(await pending).toMatchObject({ code: 'aborted' });
  });

  it('fails when the script was removed after the config was loaded', async () => {
    const copy = join(work, 'vanishing.sh');
    copyFileSync(script('exit-with.sh'), copy);
    const sut = await buildSut({ command: copy, args: ['0'] });
    rmSync(copy);
    expect(await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()))).toMatchObject({ code: 'not_found' });
  });
});

describe('command provider: where the password goes', () => {
  it('puts the password neither on the command line nor in the environment of the command and its children', async () => {
    const pidFile = join(work, 'paused.pid');
    const sut = await buildSut({ command: script('pause-with-input.sh'), args: [pidFile] });
    const pending = sut.authenticate('alice', new Secret(alicePassword), ctx());
    while (!existsSync(pidFile)) await pause(20);
    const running = pids.leftovers();
    expect(running.map((p) => p.pid)).toContain(Number(readFileSync(pidFile, 'utf8')));
    for (const p of running) {
      // cmdline is argv joined with spaces: a password split over several arguments shows too.
      expect(p.cmdline).not.toContain(alicePassword);
      expect(environmentOf(p.pid).join('\n')).not.toContain(alicePassword);
    }
    expect(await pending).toEqual({ kind: 'allow', labels: {} });
  });
});

describe('command provider: limits of the process-group kill (plugins/README.md)', () => {
  it('cannot stop a process that left the group with setsid: it outlives the request', async () => {
    const pidFile = join(work, 'escaped.pid');
    const sut = await buildSut({ command: script('escape-with-setsid.sh'), args: [pidFile] });
    let escaped: number | undefined;
    try {
      expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'allow', labels: {} });
      escaped = Number(readFileSync(pidFile, 'utf8'));
      await sut.close!(); // resolves once the command's process group is gone
      await pause(200);
      const left = pids.leftovers();
      expect(left.map((p) => p.pid)).toEqual([escaped]);
      expect(left[0]!.session).toBe(escaped); // a session, and so a process group, of its own
    } finally {
      // This test's cleanup, not regauth's: afterEach then checks that nothing else is left.
      if (escaped) process.kill(escaped, 'SIGKILL');
    }
  });
});

describe('command provider: setup', () => {
  it('refuses a command that does not exist', async () => {
    const err = await rejection(buildSut({ command: './no-such-script.sh' }));
    expect(err).toMatchObject({ code: 'not_found' });
    expect((err as Error).message).toContain('no-such-script.sh');
  });

  it('refuses a script without the execute bit', async () => {
    const file = join(work, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    expect(await rejection(buildSut({ command: file }))).toMatchObject({ code: 'not_executable' });
  });

  it('resolves a relative command against the config folder', async () => {
    copyFileSync(script('exit-with.sh'), join(work, 'local.sh'));
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
    const file = join(work, `env-${Math.random().toString(36).slice(2)}`);
    const sut = await buildSut({ command: script('record-env.sh'), args: [file], ...config });
    await sut.authenticate('alice', new Secret(alicePassword), ctx());
    return Object.fromEntries(readFileSync(file, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
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

describe('command provider: concurrency bound', () => {
  it('sheds work past the running and queued bound with an overload error', async () => {
    const sut = await buildSut({ command: script('slow-allow.sh'), args: ['0.4'], concurrency: 1, queue: 1 });
    const results = await Promise.allSettled([0, 1, 2].map(() => sut.authenticate('alice', new Secret(alicePassword), ctx())));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(OverloadedError);
  });

  it('runs queued work once a slot frees up', async () => {
    const sut = await buildSut({ command: script('slow-allow.sh'), args: ['0.1'], concurrency: 2, queue: 10 });
    const results = await Promise.all([0, 1, 2, 3, 4].map(() => sut.authenticate('alice', new Secret(alicePassword), ctx())));
    expect(results.every((r) => r.kind === 'allow')).toBe(true);
  });
});
