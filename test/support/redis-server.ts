import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { requireBinaries, type BinaryRequirement } from './require-binary.js';

/**
 * A real redis-server (the Debian package) on a free loopback port, without persistence. It can
 * be stopped and started again on the same port (outage tests), or frozen with SIGSTOP (a Redis
 * that accepts connections and never answers).
 */

const STARTUP_TIMEOUT_MS = 10_000;

export function requireRedis(): BinaryRequirement {
  return requireBinaries(['redis-server']);
}

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  /** Ends the server (its data goes with it: no persistence); start() brings it back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  /** One command on a connection of its own (ioredis, as the server uses), for tests that look at the keys. */
  command(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

const running = new Set<() => Promise<void>>();
afterAll(async () => {
  await Promise.all([...running].map((close) => close()));
});

export async function startRedis(): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT');
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    // Each start waits for its own readiness line.
    output = '';
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!output.includes('Ready to accept connections')) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`redis-server did not start on port ${port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const close = async (): Promise<void> => {
    await stop();
    running.delete(close);
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(close);
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    command: async (...args) => {
      const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        return await client.call(args[0], ...args.slice(1));
      } finally {
        client.disconnect();
      }
    },
    close,
  };
}
