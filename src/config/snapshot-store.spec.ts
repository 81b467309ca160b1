import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Provider } from '../authn/provider.js';
import { loadConfigFile } from './config-loader.js';
import { SnapshotStore } from './snapshot-store.js';
import { buildSnapshot, type Snapshot } from './snapshot.js';

/** A provider that only records whether it was closed: the contract's close(), nothing else. */
const closable = (name: string, closed: string[]): Provider => ({
  name,
  authenticate: () => Promise.resolve({ kind: 'no_match' }),
  close: () => {
    closed.push(name);
    return Promise.resolve();
  },
});

describe(SnapshotStore.name, () => {
  let base: Snapshot;
  const closed: string[] = [];
  const snapshotWith = (name: string): Snapshot => ({ ...base, providers: [closable(name, closed)] });

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'regauth-store-')), 'c.yml');
    writeFileSync(file, 'server: { request_timeout: 100ms }\ntoken: { issuer: i, generate_missing: true, keys: [{ key: k.pem }] }\nauthn: []\n');
    base = await buildSnapshot(await loadConfigFile(file));
  });
  beforeEach(() => void closed.splice(0));

  it('serves the new snapshot at once and closes the old one after its request timeout', async () => {
    const sut = new SnapshotStore(snapshotWith('old'));
    sut.swap(snapshotWith('new'));
    expect(sut.current.providers[0].name).toBe('new');
    expect(closed).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toEqual(['old']);
    await sut.onApplicationShutdown();
  });

  it('closes the current snapshot and every one still retiring on shutdown', async () => {
    const sut = new SnapshotStore(snapshotWith('first'));
    sut.swap(snapshotWith('second'));
    sut.swap(snapshotWith('third'));
    await sut.onApplicationShutdown();
    expect(closed.sort()).toEqual(['first', 'second', 'third']);
  });

  it('counts generations from 1', () => {
    const sut = new SnapshotStore(snapshotWith('a'));
    sut.swap(snapshotWith('b'));
    expect(sut.generation).toBe(2);
    return sut.onApplicationShutdown();
  });
});
