// The shared store of W11 and W12: a real redis-server on a free loopback port, without
// persistence, as the shared-store tests run it.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { importTestSupport } from './test-support.mjs';

const STARTUP_TIMEOUT_MS = 10_000;

export function findRedis() {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).status === 0;
}

/** Starts redis-server in `dir`; resolves with its URL and a stop function. */
export async function startRedis(root, dir) {
  const [{ freePort }] = await importTestSupport(root, join(dir, 'support'), ['free-port']);
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${output}`)), STARTUP_TIMEOUT_MS);
    const fail = (err) => {
      clearTimeout(timer);
      void stop().then(() => reject(err));
    };
    const onData = (chunk) => {
      output += chunk;
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      // Keep reading, so a full pipe never blocks the server.
      child.stdout.off('data', onData).resume();
      resolve();
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.resume();
    child.once('exit', () => fail(new Error(`redis-server exited:\n${output}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, stop };
}
