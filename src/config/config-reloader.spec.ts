import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturingLogger } from '../../test/support/token-server.fixture.js';
import { createLogger } from '../observability/logger.js';
import { loadConfigFile } from './config-loader.js';
import { ConfigReloader } from './config-reloader.js';
import { SnapshotStore } from './snapshot-store.js';
import { buildSnapshot } from './snapshot.js';

const configText = (issuer: string): string => `token: { issuer: ${issuer}, generate_missing: true, keys: [{ key: k.pem }] }
services: [reg]
authn: []
`;

describe(ConfigReloader.name, () => {
  let file: string;
  let store: SnapshotStore;
  let sut: ConfigReloader;

  beforeEach(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'regauth-reload-')), 'c.yml');
    writeFileSync(file, configText('first'));
    store = new SnapshotStore(await buildSnapshot(await loadConfigFile(file)));
    sut = new ConfigReloader(store, createLogger('silent'), file);
  });
  afterEach(() => store.onApplicationShutdown());

  it('installs the new config', async () => {
    writeFileSync(file, configText('second'));
    await sut.reload();
    expect(store.current.config.token.issuer).toBe('second');
    expect(store.generation).toBe(2);
  });

  it('keeps the running config when the file is broken, and rejects with every problem', async () => {
    writeFileSync(file, 'token: { issuer: 7 }\nbogus: 1\n');
    await expect(sut.reload()).rejects.toThrow(/bogus: unknown key/);
    expect(store.current.config.token.issuer).toBe('first');
    expect(store.generation).toBe(1);
  });

  it('folds a burst of requests during a reload into one more reload', async () => {
    const burst = Array.from({ length: 5 }, () => sut.reload());
    await Promise.all(burst);
    expect(store.generation).toBe(3);
  });

  it('runs the follow-up even when the reload before it failed', async () => {
    const lines: string[] = [];
    sut = new ConfigReloader(store, capturingLogger(lines), file);
    writeFileSync(file, 'not: [valid');
    const results = await Promise.allSettled([sut.reload(), sut.reload()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(lines.filter((l) => l.includes('config reload rejected'))).toHaveLength(2);
  });

  describe('in two phases (cluster workers)', () => {
    it('builds the next config on prepare but keeps serving the old one until commit', async () => {
      writeFileSync(file, configText('second'));
      const prepared = await sut.prepare();
      expect(prepared.config.token.issuer).toBe('second');
      expect(store.current.config.token.issuer).toBe('first');

      sut.commit();
      expect(store.current.config.token.issuer).toBe('second');
      expect(sut.stats.succeeded).toBe(1);
    });

    it('keeps the old config on abort and counts a failure', async () => {
      writeFileSync(file, configText('second'));
      await sut.prepare();
      sut.abort();
      sut.commit();
      expect(store.current.config.token.issuer).toBe('first');
      expect(store.generation).toBe(1);
      expect(sut.stats.failed).toBe(1);
    });

    it('rejects a broken file on prepare without touching the running config', async () => {
      writeFileSync(file, 'token: { issuer: 7 }\n');
      await expect(sut.prepare()).rejects.toThrow(/token.issuer/);
      expect(store.generation).toBe(1);
    });
  });
});
