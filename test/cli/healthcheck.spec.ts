import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../support/free-port.js';
import { scannedLogger } from '../support/log-scan.js';

/** `regauth healthcheck` and `regauth --version`, as a container HEALTHCHECK and an operator run them. */

function regauth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/regauth.js', ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('regauth healthcheck', () => {
  let dir: string;
  let sut: RunningServer | undefined;
  let config: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-health-'));
    config = join(dir, 'config.yml');
    const port = await freePort();
    writeFileSync(
      config,
      `server: { addr: "127.0.0.1:${port}", path_prefix: /reg }
token: { issuer: health, generate_missing: true, keys: [{ key: k.pem }] }
authn: [{ type: static, users: { "": {} } }]
acl: [{ match: {}, actions: [pull] }]
`,
    );
  });
  afterEach(async () => {
    await sut?.close();
    sut = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 when the server of the config answers /healthz (port and path prefix from the config)', async () => {
    sut = await startServer({ configFile: config, logger: scannedLogger() });
    expect(await regauth(['healthcheck', '--config', config])).toMatchObject({ code: 0 });
    expect(await regauth(['healthcheck', '--ready', '--config', config])).toMatchObject({ code: 0 });
  });

  it('exits 1 and says why when nothing answers', async () => {
    const r = await regauth(['healthcheck', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/reg\/healthz: no answer/);
  });

  it('exits 1 on an answer other than 200', async () => {
    sut = await startServer({ configFile: config, logger: scannedLogger() });
    const r = await regauth(['healthcheck', '--url', `${sut.url}/nope`]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('HTTP 404') });
  });

  it('prints the version with --version and version', async () => {
    const { version } = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')) as { version: string };
    expect((await regauth(['--version'])).stdout).toBe(`regauth ${version} (node ${process.versions.node})\n`);
    expect((await regauth(['version'])).stdout).toBe(`regauth ${version} (node ${process.versions.node})\n`);
  });
});
