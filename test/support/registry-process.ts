import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A real CNCF distribution registry (Debian's `docker-registry` 2.8.x) on a loopback port, with
 * its own storage in a temp dir. It is the party that must accept our tokens, so e2e tests run
 * against it rather than against our own idea of what a registry checks.
 */

export interface TokenAuthOptions {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly rootCertBundlePath: string;
}

export type RegistryOptions =
  | (TokenAuthOptions & { readonly auth?: true; readonly dir?: string; readonly startupTimeoutMs?: number })
  | { readonly auth: false; readonly dir?: string; readonly startupTimeoutMs?: number };

export interface RunningRegistry {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT, as image references want it */
  readonly host: string;
  /** Holds registry.yml and the storage; removed by stop() unless the caller passed it. */
  readonly dir: string;
  /** Everything the registry wrote to stdout and stderr so far. */
  logs(): string;
  stop(): Promise<void>;
}

const BINARY = 'docker-registry';
const DEFAULT_STARTUP_TIMEOUT_MS = 15_000;

/**
 * Every registry this test file started and has not stopped yet. Jest gives test files a copy of
 * `process` whose 'exit' event never fires, so the safety net is a file-level afterAll (this
 * module is only ever loaded by test files): it catches registries whose test failed before its
 * own stop(), and ones whose start outlived a timed-out beforeAll.
 */
const running = new Set<() => Promise<void>>();
let fileFinished = false;
afterAll(async () => {
  fileFinished = true;
  await Promise.all([...running].map((stop) => stop()));
});

export function registryConfigYaml(opts: RegistryOptions, storageDir: string, addr: string): string {
  // JSON is valid YAML and needs no escaping rules of its own for paths and URLs.
  const q = (s: string): string => JSON.stringify(s);
  const auth =
    opts.auth === false
      ? ''
      : [
          'auth:',
          '  token:',
          `    realm: ${q(opts.realm)}`,
          `    service: ${q(opts.service)}`,
          `    issuer: ${q(opts.issuer)}`,
          `    rootcertbundle: ${q(opts.rootCertBundlePath)}`,
        ].join('\n');
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(addr)}`,
    auth,
    '',
  ].join('\n');
}

export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'regauth-registry-'));
  const ownsDir = opts.dir === undefined;
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const configPath = join(dir, 'registry.yml');
  writeFileSync(configPath, registryConfigYaml(opts, join(dir, 'storage'), host));

  let output = '';
  const child = spawn(BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (fileFinished) child.kill('SIGKILL');
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not start ${BINARY}: ${err.message}`));
    child.once('exit', (code, signal) => resolve(`${BINARY} exited (code ${code}, signal ${signal})`));
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(killTimer);
    }
    running.delete(stop);
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };

  running.add(stop);

  const gaveUp = new AbortController();
  const failure = await Promise.race([waitForHttp(`${url}/v2/`, opts.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS, gaveUp.signal), exited]);
  gaveUp.abort();
  if (failure !== undefined) {
    await stop();
    throw new Error(
      `registry did not start: ${failure}\n--- registry config ---\n${registryConfigYaml(opts, join(dir, 'storage'), host)}--- registry logs ---\n${output}`,
    );
  }
  return { url, host, dir, logs: () => output, stop };
}

/** Resolves undefined once the URL answers with any HTTP status, or a reason after the timeout. */
async function waitForHttp(url: string, timeoutMs: number, cancel: AbortSignal): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt';
  while (Date.now() < deadline && !cancel.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return undefined;
    } catch (err) {
      lastError = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `no answer from ${url} within ${timeoutMs} ms (last error: ${lastError})`;
}
