import bcrypt from 'bcryptjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { startDockerd, type Dockerd } from '../support/dockerd.js';
import { buildTinyOciImage } from '../support/oci-image.js';
import { opensslKeyPair } from '../support/openssl-keys.js';
import { requireBinaries } from '../support/require-binary.js';
import { skopeo } from '../support/skopeo.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * The docker CLI as a real client, through its own private dockerd: `docker login` keeps an
 * identity token (our refresh token) instead of the password, push and pull run on it, and a
 * push the ACL refuses says so. docs/protocol.md describes the flow.
 */

setTestFileTimeout(300_000);
const binaries = requireBinaries(['dockerd', 'docker', 'docker-registry', 'skopeo', 'openssl']);
// dockerd needs root; a non-root run is treated like a missing binary (loud skip, CI failure).
const asRoot = process.getuid?.() === 0;
const describeIf = asRoot ? binaries.describeIf : requireBinaries(['dockerd-as-root']).describeIf;

const SERVICE = 'docker-e2e';
const ISSUER = 'docker-e2e-issuer';
const pusher = { user: 'pusher', password: 'pusher-docker-password' };
const reader = { user: 'reader', password: 'reader-docker-password' };

describeIf('docker CLI against registry + regauth', () => {
  let work: string;
  let stack: AuthStack;
  let engine: Dockerd;
  let registry: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'regauth-docker-'));
    const keys = opensslKeyPair(work, 'ec');
    const config = join(work, 'regauth.yml');
    writeFileSync(
      config,
      `token:
  issuer: "${ISSUER}"
  generate_missing: true
  keys: [{ key: ${basename(keys.keyPath)}, certificate: ${basename(keys.certPath)} }]
  refresh: { secrets: [refresh.secret] }
services: ["${SERVICE}"]
authn:
  - name: users
    type: static
    users:
      pusher: { password: "${bcrypt.hashSync(pusher.password, 4)}" }
      reader: { password: "${bcrypt.hashSync(reader.password, 4)}" }
acl:
  - { match: { account: pusher, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: "/.+/" }, actions: [pull], comment: everyone else reads }
`,
    );
    stack = await startAuthStack({ configFile: config, service: SERVICE, issuer: ISSUER, rootCertBundlePath: keys.certPath });
    registry = stack.registry.host;
    engine = await startDockerd(join(work, 'dockerd'));

    // The engine cannot pull base images here: load a tiny image made on the spot.
    const image = await buildTinyOciImage(join(work, 'image'));
    const archive = join(work, 'tiny.tar');
    const copied = await skopeo(['copy', `oci:${image.layoutDir}:${image.tag}`, `docker-archive:${archive}:localhost/tiny:1`]);
    if (copied.code !== 0) throw new Error(`skopeo could not write the archive:\n${copied.stderr}`);
    const loaded = await engine.docker(['load', '-i', archive]);
    if (loaded.code !== 0) throw new Error(`docker load failed:\n${loaded.stderr}`);
  });
  afterAll(async () => {
    await engine?.stop();
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const login = async (creds: { user: string; password: string }, configDir: string) =>
    engine.docker(['login', registry, '-u', creds.user, '--password-stdin'], { input: creds.password, configDir });

  it('logs in and stores an identity token, not the password', async () => {
    const configDir = join(work, 'pusher-config');
    const result = await login(pusher, configDir);
    expect(result.stderr + result.stdout).toContain('Login Succeeded');

    const stored = readFileSync(join(configDir, 'config.json'), 'utf8');
    const auth = (JSON.parse(stored) as { auths: Record<string, { identitytoken?: string; auth?: string }> }).auths[registry];
    expect(auth.identitytoken).toMatch(/^eyJ/);
    expect(stored).not.toContain(pusher.password);
    expect(stored).not.toContain(Buffer.from(`${pusher.user}:${pusher.password}`).toString('base64'));
  });

  it('pushes and pulls with the stored identity token', async () => {
    const configDir = join(work, 'pusher-config');
    const ref = `${registry}/dev/app:1`;
    expect((await engine.docker(['tag', 'localhost/tiny:1', ref])).code).toBe(0);
    const pushed = await engine.docker(['push', ref], { configDir });
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);

    expect((await engine.docker(['rmi', ref])).code).toBe(0);
    const pulled = await engine.docker(['pull', ref], { configDir });
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Downloaded newer image for ${ref}`);

    // The engine asked for its tokens with the identity token, not the password.
    const metrics = parsePrometheusTextFormat(await (await fetch(`${stack.server.url}/metrics`)).text());
    const requests = metrics.find((f) => f.name === 'regauth_token_requests_total')!.metrics;
    const refreshed = requests.filter((m) => m.labels?.grant_type === 'refresh_token' && m.labels.outcome === 'granted');
    expect(refreshed.reduce((n, m) => n + Number(m.value), 0)).toBeGreaterThanOrEqual(2);
  });

  it('refuses a push the ACL does not allow, and docker says it was denied', async () => {
    const configDir = join(work, 'reader-config');
    expect((await login(reader, configDir)).code).toBe(0);
    const ref = `${registry}/dev/readers-cannot-push:1`;
    expect((await engine.docker(['tag', 'localhost/tiny:1', ref])).code).toBe(0);

    const pushed = await engine.docker(['push', ref], { configDir });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/denied/i);
  });

  it('refuses a wrong password at login with docker\'s "unauthorized" message', async () => {
    const result = await login({ user: reader.user, password: 'not-the-password' }, join(work, 'wrong-config'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unauthorized|incorrect username or password/i);
  });
});
