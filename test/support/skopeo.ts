import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real `skopeo` (containers/image, as podman and CRI-O use it) as a registry client.
 * Every run is isolated from the machine: its own auth file, HOME and XDG dirs (so no stored
 * login or ~/.docker/config.json leaks in) and an accept-anything trust policy. Plain http
 * registries on loopback need `--tls-verify=false`, which every wrapper passes.
 */

export interface Creds {
  readonly user: string;
  readonly password: string;
}

export interface SkopeoResult {
  /** Exit code; 124 when the run timed out, 127 when skopeo could not be started. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SkopeoOptions {
  readonly timeoutMs?: number;
  /** Added to (and overriding) the isolated environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Content of the run's auth file (containers-auth.json), e.g. to hold an `identitytoken`. */
  readonly authJson?: unknown;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Placeholder for the per-run auth file, e.g. `['login', '--authfile', AUTHFILE, …]`. */
export const AUTHFILE = '{authfile}';

/**
 * Runs `skopeo --policy <own> <args…>` without a shell and resolves on any exit code. Each run
 * gets a fresh sandbox dir (HOME, XDG dirs, auth file, policy) that is removed afterwards;
 * `{authfile}` in `args` is replaced by that run's auth file.
 */
export async function skopeo(args: readonly string[], opts: SkopeoOptions = {}): Promise<SkopeoResult> {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-skopeo-'));
  try {
    const authFile = join(dir, 'auth.json');
    const policy = join(dir, 'policy.json');
    writeFileSync(authFile, JSON.stringify(opts.authJson ?? { auths: {} }));
    writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_RUNTIME_DIR: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
      REGISTRY_AUTH_FILE: authFile,
      ...opts.env,
    };
    const argv = ['--policy', policy, ...args.map((arg) => (arg === AUTHFILE ? authFile : arg))];
    return await run(argv, env, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<SkopeoResult> {
  return new Promise((resolve) => {
    const child = spawn('skopeo', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}could not run skopeo: ${err.message}\n` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}skopeo timed out after ${timeoutMs} ms\n` });
      else resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** `--creds user:pass`, or anonymous; `side` picks copy's `--src-…`/`--dest-…` spelling. */
export function credsArgs(creds: Creds | null, side?: 'src' | 'dest'): string[] {
  const prefix = side ? `--${side}-` : '--';
  return creds ? [`${prefix}creds`, `${creds.user}:${creds.password}`] : [`${prefix}no-creds`];
}

const docker = (ref: string): string => (ref.startsWith('docker://') ? ref : `docker://${ref}`);

/** Pushes `oci:<layoutDir>` to `ref` (host/name:tag); `digest` is what the registry stored. */
export async function copyToRegistry(layoutDir: string, ref: string, creds: Creds | null, opts?: SkopeoOptions): Promise<SkopeoResult & { digest?: string }> {
  const digestDir = mkdtempSync(join(tmpdir(), 'regauth-digest-'));
  try {
    const digestFile = join(digestDir, 'digest');
    const result = await skopeo(
      [
        'copy',
        '--authfile',
        AUTHFILE,
        '--preserve-digests',
        '--digestfile',
        digestFile,
        '--dest-tls-verify=false',
        ...credsArgs(creds, 'dest'),
        `oci:${layoutDir}`,
        docker(ref),
      ],
      opts,
    );
    return { ...result, digest: result.code === 0 ? readFileSync(digestFile, 'utf8').trim() : undefined };
  } finally {
    rmSync(digestDir, { recursive: true, force: true });
  }
}

/** Pulls `ref` into `oci:<destDir>:pulled`; `digest` is the manifest digest written there. */
export async function copyFromRegistry(ref: string, destDir: string, creds: Creds | null, opts?: SkopeoOptions): Promise<SkopeoResult & { digest?: string }> {
  const tag = 'pulled';
  const result = await skopeo(
    ['copy', '--authfile', AUTHFILE, '--preserve-digests', '--src-tls-verify=false', ...credsArgs(creds, 'src'), docker(ref), `oci:${destDir}:${tag}`],
    opts,
  );
  return { ...result, digest: result.code === 0 ? layoutDigest(destDir, tag) : undefined };
}

/** `skopeo inspect` of the manifest digest the registry serves for `ref`. */
export async function inspectDigest(ref: string, creds: Creds | null, opts?: SkopeoOptions): Promise<SkopeoResult & { digest?: string }> {
  const result = await skopeo(['inspect', '--authfile', AUTHFILE, '--tls-verify=false', ...credsArgs(creds), '--format', '{{.Digest}}', docker(ref)], opts);
  return { ...result, digest: result.code === 0 ? result.stdout.trim() : undefined };
}

/** `skopeo delete` (the manifest behind `ref`; skopeo asks for scope `repository:<name>:*`). */
export function deleteImage(ref: string, creds: Creds | null, opts?: SkopeoOptions): Promise<SkopeoResult> {
  return skopeo(['delete', '--authfile', AUTHFILE, '--tls-verify=false', ...credsArgs(creds), docker(ref)], opts);
}

/** The manifest digest an OCI layout's index.json records for `tag`. */
export function layoutDigest(layoutDir: string, tag: string): string | undefined {
  const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as {
    manifests?: { digest: string; annotations?: Record<string, string> }[];
  };
  return index.manifests?.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)?.digest;
}
