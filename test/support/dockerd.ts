import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pause } from './settled.js';

/**
 * A private Docker engine for client tests: its own data root, socket and pid file under `dir`,
 * vfs storage, no iptables and no bridge (nothing on this host is touched), stopped by the test.
 * Needs root, as dockerd does.
 */
export interface Dockerd {
  /** Runs the docker CLI against this engine, with its own client config folder. */
  docker(args: readonly string[], opts?: { readonly input?: string; readonly configDir?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  logs(): string;
  stop(): Promise<void>;
}

/** The CLI shipped with the engine (Debian's docker.io) when there is one, else the one on PATH. */
const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export async function startDockerd(dir: string): Promise<Dockerd> {
  const socket = join(dir, 'docker.sock');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'exec'), { recursive: true });
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir };
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`,
      `--host=unix://${socket}`,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout?.on('data', (c: Buffer) => void (logs += c.toString()));
  child.stderr?.on('data', (c: Buffer) => void (logs += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const docker: Dockerd['docker'] = (args, opts = {}) =>
    new Promise((resolve) => {
      const run = execFile(
        DOCKER_CLI,
        [...(opts.configDir ? ['--config', opts.configDir] : []), ...args],
        { env: { ...env, DOCKER_HOST: `unix://${socket}` }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
      run.stdin?.end(opts.input ?? '');
    });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  };

  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) break;
    if ((await docker(['version', '--format', '{{.Server.Version}}'])).code === 0) return { docker, logs: () => logs, stop };
    await pause(250);
  }
  await stop();
  throw new Error(`dockerd did not start:\n${logs.slice(-3000)}`);
}
