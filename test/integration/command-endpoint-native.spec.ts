import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { ConfigError } from '../../src/config/config-issue.js';
import type { RunningServer } from '../../src/server.js';
import { script } from '../support/scripts/leftover-processes.js';
import { basic } from '../support/token-server.fixture.js';
import { ADMIN_PASSWORD, CICD_SECRET, claimsOf, DEV_PASSWORD, nativeConfig, PLUGINS, token, useCommandEndpoint } from './command-endpoint.fixture.js';

/** Command providers and authorizers in regauth's own config format, behind the real token endpoint. */

const endpoint = useCommandEndpoint();
const { logLines, startWith } = endpoint;

describe('native config with the shipped ext_auth.sh', () => {
  let sut: RunningServer;
  beforeAll(async () => {
    sut = await startWith('cicd', nativeConfig(`  - { type: command, command: "${PLUGINS}ext_auth.sh", env: [CICD_SECRET] }`));
  });

  it('admits cicd with the shared secret from the environment and applies its CICD label', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull,push', basic('cicd', CICD_SECRET));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string };
    expect(claimsOf(body.token).access).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
  });

  it('refuses cicd with a wrong secret', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull', basic('cicd', 'wrong-secret'));
    expect(res.status).toBe(401);
  });

  it('refuses the shared secret followed by a line break and anything (401)', async () => {
    const res = await token(sut, 'scope=repository:team/app:pull', basic('cicd', `${CICD_SECRET}\nanything`));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('still lets the static users in first', async () => {
    const res = await token(sut, 'scope=registry:catalog:*', basic('admin', ADMIN_PASSWORD));
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as { token: string }).token).access[0].actions).toEqual(['*']);
  });
});

describe('passwords with line breaks', () => {
  it('never reach a script: the request is refused before any provider runs', async () => {
    const record = join(mkdtempSync(join(tmpdir(), 'regauth-stdin-')), 'stdin');
    process.env.RECORD_FILE = record;
    try {
      const sut = await startWith('record', nativeConfig(`  - { type: command, command: "${script('exit-with.sh')}", args: ["2"], env: [RECORD_FILE] }`));
      for (const password of ['one\ntwo', 'one\rtwo', 'one\0two']) {
        expect((await token(sut, 'scope=repository:team/app:pull', basic('someone', password))).status).toBe(401);
        expect(existsSync(record)).toBe(false);
      }
      expect((await token(sut, 'scope=repository:team/app:pull', basic('someone', 'plain'))).status).toBe(401);
      expect(readFileSync(record, 'utf8')).toBe('someone plain');
    } finally {
      delete process.env.RECORD_FILE;
    }
  });
});

describe('failing commands over HTTP', () => {
  it('answers 503 with Retry-After and a generic body when a script prints garbage, and logs the command', async () => {
    const sut = await startWith('garbage', nativeConfig(`  - { type: command, name: hook, command: "${script('garbage.sh')}" }`));
    const res = await token(sut, 'scope=repository:team/app:pull', basic('someone', 'garbage-pw'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await res.text();
    expect(body).not.toContain('garbage.sh');
    expect(body).not.toContain('welcome');
    const logged = logLines.filter((l) => l.includes('garbage.sh'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain('garbage-pw');
  });

  it('answers 503 with Retry-After when the command is at its concurrency and queue bound', async () => {
    const sut = await startWith('busy', nativeConfig(`  - { type: command, command: "${script('slow-allow.sh')}", args: ["0.5"], concurrency: 1, queue: 0 }`));
    const results = await Promise.all([0, 1, 2].map(() => token(sut, 'scope=repository:team/app:pull', basic('someone', 'pw'))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 503, 503]);
    expect(results.find((r) => r.status === 503)!.headers.get('retry-after')).toBe('5');
  });

  it('answers 503 with Retry-After when an authorizer fails', async () => {
    const sut = await startWith(
      'authz-broken',
      `token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
authn:
  - type: static
    users:
      admin: { password: "${bcrypt.hashSync(ADMIN_PASSWORD, 4)}" }
      dev: { password: "${bcrypt.hashSync(DEV_PASSWORD, 4)}" }
acl:
  - { match: { account: admin }, actions: ["*"] }
authz:
  - { type: command, name: broken-authz, command: "${script('exit-with.sh')}", args: ["3"] }
`,
    );
    expect((await token(sut, 'scope=repository:team/app:pull', basic('admin', ADMIN_PASSWORD))).status).toBe(200);
    const res = await token(sut, 'scope=repository:team/app:pull', basic('dev', DEV_PASSWORD));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).not.toContain('exit-with');
    expect(logLines.some((l) => l.includes('broken-authz') && l.includes('exit 3'))).toBe(true);
  });

  it('refuses to start when the command is missing, naming the provider entry', async () => {
    const err = await startWith('missing', nativeConfig(`  - { type: command, command: ./not-there.sh }`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ path: 'authn[1]', message: expect.stringContaining('not-there.sh') }]);
  });
});
