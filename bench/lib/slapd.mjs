// W8's directory: a real slapd on a free loopback port, configured and seeded by the same code as
// the LDAP tests (test/support/slapd-config.ts and slapd-directory.ts, and the tests' free-port.ts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Client } from 'ldapts';
import { importTestSupport } from './test-support.mjs';

const SBIN_PATH = [process.env.PATH ?? '', '/usr/sbin', '/usr/local/sbin', '/sbin'].join(delimiter);
const STARTUP_TIMEOUT_MS = 15_000;

/** The slapd binary, or undefined when it is not installed. */
export function findSlapd() {
  const found = spawnSync('sh', ['-c', 'command -v slapd'], { env: { ...process.env, PATH: SBIN_PATH }, encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Starts slapd in `dir`; resolves with its URL, the directory's names and a stop function. */
export async function startSlapd(root, dir) {
  const slapd = findSlapd();
  if (!slapd) throw new Error('slapd not found (apt-get install slapd)');
  const [{ makeCertificates, slapdConf }, directory, { freePort }] = await importTestSupport(root, join(dir, 'support'), [
    'slapd-config',
    'slapd-directory',
    'free-port',
  ]);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, makeCertificates(join(dir, 'pki'))));
  const child = spawn(slapd, ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  const admin = async (fn) => {
    const client = new Client({ url, timeout: 5000, connectTimeout: 1000 });
    try {
      await client.bind(directory.ADMIN.dn, directory.ADMIN.password);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };
  for (;;) {
    try {
      await admin(async () => undefined);
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`slapd did not start: ${err.message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin(directory.seedDirectory);
  return { url, directory, stop };
}
