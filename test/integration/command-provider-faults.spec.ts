import { jest } from '@jest/globals';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError } from '../../src/backends/command/command-error.js';
import { OverloadedError } from '../../src/common/concurrency-limiter.js';
import { Secret } from '../../src/common/secret.js';
import { environmentOf, script } from '../support/scripts/leftover-processes.js';
import { pause, rejection } from '../support/settled.js';
import { alicePassword, ctx, useCommandProviders } from './command-provider.fixture.js';

/** Command providers that misbehave: deadlines, floods, leftover processes, the password's reach, load shedding (docs/security.md rule 17). */

const work = useCommandProviders();
const { pids, buildSut } = work;

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

  it('still SIGKILLs the group after the grace period when the wall clock steps back meanwhile', async () => {
    const realNow = Date.now.bind(Date);
    let steps = 0;
    // Every reading of the wall clock is an hour earlier than the one before.
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000 * ++steps);
    try {
      const sut = await buildSut({ command: script('hang-ignoring-term.sh'), timeout: '300ms' });
      expect(await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()))).toMatchObject({ code: 'timeout' });
      const until = performance.now() + 3000;
      while (pids.leftovers().length > 0 && performance.now() < until) await pause(50);
      expect(pids.leftovers()).toEqual([]);
    } finally {
      clock.mockRestore();
    }
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
    const copy = join(work.dir, 'vanishing.sh');
    copyFileSync(script('exit-with.sh'), copy);
    const sut = await buildSut({ command: copy, args: ['0'] });
    rmSync(copy);
    expect(await rejection(sut.authenticate('alice', new Secret(alicePassword), ctx()))).toMatchObject({ code: 'not_found' });
  });
});

describe('command provider: where the password goes', () => {
  it('puts the password neither on the command line nor in the environment of the command and its children', async () => {
    const pidFile = join(work.dir, 'paused.pid');
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
    const pidFile = join(work.dir, 'escaped.pid');
    const sut = await buildSut({ command: script('escape-with-setsid.sh'), args: [pidFile] });
    let escaped: number | undefined;
    try {
      expect(await sut.authenticate('alice', new Secret(alicePassword), ctx())).toEqual({ kind: 'allow', labels: {} });
      escaped = Number(readFileSync(pidFile, 'utf8'));
      await sut.close!(); // resolves once the command's process group is gone
      await pause(200);
      const left = pids.leftovers();
      expect(left.map((p) => p.pid)).toEqual([escaped]);
      expect(left[0].session).toBe(escaped); // a session, and so a process group, of its own
    } finally {
      // This test's cleanup, not regauth's: afterEach then checks that nothing else is left.
      if (escaped) process.kill(escaped, 'SIGKILL');
    }
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
