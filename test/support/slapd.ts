import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'ldapts';
import { freePort } from './free-port.js';
import { findOnPath, requireBinaries, type BinaryRequirement } from './require-binary.js';
import { makeCertificates, slapdConf } from './slapd-config.js';
import { ADMIN, seedDirectory } from './slapd-directory.js';

/**
 * A real OpenLDAP slapd on two free loopback ports (ldap:// with StartTLS, and ldaps://), from
 * its own temporary slapd.conf: mdb, the memberof overlay, a throwaway CA and server
 * certificate. It can be stopped and started again on the same ports and data (outage tests),
 * or frozen with SIGSTOP (a server that accepts connections and never answers).
 */

/** slapd lives in sbin, which is not on every user's PATH. */
const SBIN_PATH = [process.env.PATH ?? '', '/usr/sbin', '/usr/local/sbin', '/sbin'].join(delimiter);
const STARTUP_TIMEOUT_MS = 15_000;

/** slapd and openssl (for its certificates), plus whatever else the calling suite runs. */
export function requireSlapd(...others: string[]): BinaryRequirement {
  return requireBinaries(['slapd', 'openssl', ...others.filter((b) => b !== 'openssl')], { env: { ...process.env, PATH: SBIN_PATH } });
}

export interface RunningSlapd {
  readonly ldapUrl: string;
  readonly ldapsUrl: string;
  readonly ldapPort: number;
  readonly ldapsPort: number;
  /** The CA that issued slapd's certificate (SAN: 127.0.0.1, localhost). */
  readonly caFile: string;
  /** A CA that did not: configuring it must get the certificate refused. */
  readonly otherCaFile: string;
  /** Temp dir with config, certificates and data; removed by close(). */
  readonly dir: string;
  /** Ends the server (data kept); start() brings it back on the same ports. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel, nothing answers. resume() undoes it. */
  pause(): Promise<void>;
  resume(): void;
  /** Runs `fn` with a client bound as the directory's root DN. */
  asAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  logs(): string;
  close(): Promise<void>;
}

/** Every slapd this test file started and has not closed: stopped by a file-level afterAll. */
const running = new Set<() => Promise<void>>();
afterAll(async () => {
  await Promise.all([...running].map((close) => close()));
});

export async function startSlapd(): Promise<RunningSlapd> {
  const slapd = findOnPath('slapd', SBIN_PATH);
  if (!slapd) throw new Error('slapd not found; install with apt-get install slapd');
  const dir = mkdtempSync(join(tmpdir(), 'regauth-slapd-'));
  const [ldapPort, ldapsPort] = [await freePort(), await freePort()];
  const pki = makeCertificates(join(dir, 'pki'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, pki));
  const urls = `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/`;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGCONT'); // a paused slapd cannot act on SIGTERM
    proc.kill('SIGTERM');
    const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killTimer);
  };
  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    // -d 0: stay in the foreground, so the child is slapd itself and ours to stop.
    const proc = spawn(slapd, ['-f', join(dir, 'slapd.conf'), '-h', urls, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
    const gone = new Promise<string>((resolve) => {
      proc.once('error', (err) => resolve(`could not start slapd: ${err.message}`));
      proc.once('exit', (code, signal) => resolve(`slapd exited (code ${code}, signal ${signal})`));
    });
    exited = gone.then(() => undefined);
    const failure = await Promise.race([waitForBind(`ldap://127.0.0.1:${ldapPort}`), gone]);
    if (failure !== undefined) {
      await stop();
      throw new Error(`slapd did not start: ${failure}\n--- slapd output ---\n${output}`);
    }
  };
  const asAdmin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url: `ldap://127.0.0.1:${ldapPort}`, timeout: 5_000, connectTimeout: 5_000 });
    try {
      await client.bind(ADMIN.dn, ADMIN.password);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };
  const close = async (): Promise<void> => {
    await stop();
    running.delete(close);
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(close);

  try {
    await start();
    await asAdmin(seedDirectory);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    ldapUrl: `ldap://127.0.0.1:${ldapPort}`,
    ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
    ldapPort,
    ldapsPort,
    caFile: pki.caFile,
    otherCaFile: pki.otherCaFile,
    dir,
    stop,
    start,
    pause: async () => {
      if (!child?.pid) return;
      child.kill('SIGSTOP');
      await waitUntilStopped(child.pid);
    },
    resume: () => child?.kill('SIGCONT'),
    asAdmin,
    logs: () => output,
    close,
  };
}

/**
 * A signal is delivered a moment after kill() returns; until the process is really stopped it
 * may still answer. Linux shows the state in /proc (T = stopped); elsewhere, wait a little.
 */
async function waitUntilStopped(pid: number): Promise<void> {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return new Promise((r) => setTimeout(r, 100));
  // The state follows the command name in parentheses; every thread must be stopped.
  const stateOf = (tid: string): string | undefined => {
    try {
      return readFileSync(`${tasks}/${tid}/stat`, 'utf8').split(') ').pop()?.[0];
    } catch {
      return 'T'; // the thread ended meanwhile
    }
  };
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    if (readdirSync(tasks).every((tid) => ['T', 't'].includes(stateOf(tid) ?? ''))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`slapd (pid ${pid}) did not stop after SIGSTOP`);
}

/** Resolves undefined once the root DN can bind, or a reason after the startup timeout. */
async function waitForBind(url: string): Promise<string | undefined> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    const client = new Client({ url, timeout: 1_000, connectTimeout: 1_000 });
    try {
      await client.bind(ADMIN.dn, ADMIN.password);
      return undefined;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    } finally {
      await client.unbind().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `no successful bind at ${url} within ${STARTUP_TIMEOUT_MS} ms (last error: ${last})`;
}
