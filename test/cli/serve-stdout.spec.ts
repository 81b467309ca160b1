import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { pause } from '../support/settled.js';

/**
 * The log goes to stdout, and stdout is the operator's: a full disk, /dev/full, a pipe nobody
 * reads. None of them may stop the server from answering or from stopping on SIGTERM
 * (docs/security.md rule 22).
 */

interface Spawned {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function serve(stdout: 'pipe' | number, workers: number): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-stdout-'));
  const port = await freePort();
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    `server: { addr: "127.0.0.1:${port}", workers: ${workers}, shutdown_timeout: 1s }
log: { level: debug }
token: { issuer: stdout, generate_missing: true, keys: [{ key: key.pem }] }
services: [registry]
authn: [{ type: static, users: { "": {} } }]
acl: [{ match: {}, actions: [pull] }]
`,
  );
  const child = spawn(process.execPath, ['bin/regauth.js', 'serve', '--config', file], { stdio: ['ignore', stdout, 'ignore'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  void exited.then(() => rmSync(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;
  let reachable = false;
  const deadline = Date.now() + 15_000;
  while (!reachable && Date.now() < deadline && child.exitCode === null) {
    reachable = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (!reachable) await pause(100);
  }
  if (!reachable) {
    child.kill('SIGKILL');
    throw new Error('server did not start');
  }
  return { child, url, exited };
}

/** Requests that each log a few lines: enough to fill any pipe buffer many times over. */
async function logFlood(url: string, requests: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < requests; i += 50) {
    const batch = Array.from({ length: Math.min(50, requests - i) }, (_, j) =>
      fetch(`${url}/auth?service=registry&scope=repository:team/app-${i + j}-${'x'.repeat(200)}:pull`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      ),
    );
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

async function stopsOnSigterm(sut: Spawned): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  sut.child.kill('SIGTERM');
  const killer = setTimeout(() => sut.child.kill('SIGKILL'), 10_000);
  const { code } = await sut.exited;
  clearTimeout(killer);
  return { code, ms: Date.now() - started };
}

// One process, and a cluster: there the workers write the log, and the primary's exit code
// says whether each of them stopped cleanly.
describe.each([1, 2])('regauth serve (workers: %i) with a stdout that does not take its log', (workers) => {
  it('keeps answering and stops on SIGTERM with stdout on /dev/full', async () => {
    const full = openSync('/dev/full', 'w');
    const sut = await serve(full, workers);
    closeSync(full);

    expect(new Set(await logFlood(sut.url, 200))).toEqual(new Set([200]));
    expect((await fetch(`${sut.url}/healthz`)).status).toBe(200);
    const stop = await stopsOnSigterm(sut);
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(5000);
  });

  it('keeps answering and stops on SIGTERM when nobody reads the stdout pipe', async () => {
    const sut = await serve('pipe', workers);
    sut.child.stdout!.pause();

    // Far more log than a pipe holds (64 KiB on Linux): every line after that waits in the
    // server's bounded buffer or is dropped, and requests do not wait for either.
    expect(new Set(await logFlood(sut.url, 1000))).toEqual(new Set([200]));
    expect((await fetch(`${sut.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status).toBe(200);
    const stop = await stopsOnSigterm(sut);
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(5000);
  });
});
