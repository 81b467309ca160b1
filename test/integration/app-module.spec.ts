import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import bcrypt from 'bcrypt';
import { AppModule } from '../../src/app.module.js';
import { loadConfigFile } from '../../src/config/config-loader.js';
import { ConfigReloader } from '../../src/config/config-reloader.js';
import { SnapshotStore } from '../../src/config/snapshot-store.js';
import { buildSnapshot } from '../../src/config/snapshot.js';
import { createAdapter } from '../../src/server.js';
import { basic, capturingLogger, claimsOf } from '../support/token-server.fixture.js';

/** The Nest module as Nest tests it: a testing module, the real Fastify adapter, inject(). */

const password = 'app-module-password';

describe(AppModule.name, () => {
  let app: NestFastifyApplication;
  let file: string;
  const logs: string[] = [];
  const writeConfig = (actions: string): void =>
    writeFileSync(
      file,
      `token: { issuer: nest-test, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
services: [registry]
authn:
  - { type: static, users: { alice: { password: "${bcrypt.hashSync(password, 4)}" } } }
acl:
  - { match: { account: alice }, actions: ${actions} }
`,
    );

  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'regauth-nest-')), 'config.yml');
    writeConfig('[pull]');
    const loaded = await loadConfigFile(file);
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ store: new SnapshotStore(await buildSnapshot(loaded)), configFile: file, logger: capturingLogger(logs) })],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(loaded, moduleRef.get(SnapshotStore)));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  const tokenFor = (scope: string) =>
    app.inject({ method: 'GET', url: `/auth?service=registry&scope=${scope}`, headers: { authorization: basic('alice', password) } });

  it('grants a token through the controller and the grant service', async () => {
    const res = await tokenFor('repository:team/app:pull,push');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = claimsOf<{ access: Array<{ actions: string[] }> }>(res.json<{ token: string }>().token);
    expect(claims.access[0].actions).toEqual(['pull']);
  });

  it('answers a wrong password through the refusal table: 401 with a Basic challenge', async () => {
    const res = await app.inject({ method: 'GET', url: '/auth?service=registry', headers: { authorization: basic('alice', 'nope') } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="nest-test"');
  });

  it('answers unknown routes through the APP_FILTER error filter, with its injected logger', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'not found' }], details: 'not found' });
  });

  it('applies a reload to the next request', async () => {
    writeConfig('[pull, push]');
    await app.get(ConfigReloader).reload();
    const claims = claimsOf<{ access: Array<{ actions: string[] }> }>((await tokenFor('repository:team/app:pull,push')).json<{ token: string }>().token);
    expect(claims.access[0].actions).toEqual(['pull', 'push']);
    expect(app.get(SnapshotStore).generation).toBe(2);
  });

  it('never logs the password', () => {
    expect(logs.join('\n')).not.toContain(password);
  });
});
