import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKeyPair, ensureRefreshSecret, parseRefreshSecret } from './dev-files.js';
import { loadKeySet } from './signing-keys.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'regauth-dev-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const ensureDevKey = (dir: string) => ensureKeyPair(join(dir, 'dev-key.pem'), join(dir, 'dev-cert.pem'), 'regauth development token signer');

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe(ensureKeyPair.name, () => {
  it('creates the folder and both files when none exist', async () => {
    const dir = join(root, 'keys', 'dev');

    const sut = await ensureDevKey(dir);

    expect(sut).toEqual({ created: true, keyPath: join(dir, 'dev-key.pem'), certPath: join(dir, 'dev-cert.pem') });
    expect(mode(dir)).toBe(0o700);
    expect(mode(sut.keyPath)).toBe(0o600);
  });

  it('creates a key and certificate that load as an x5c signing key', async () => {
    const files = await ensureDevKey(root);

    const keySet = await loadKeySet({
      keys: [{ key: files.keyPath, certificate: files.certPath! }],
      kidFormat: 'libtrust',
      x5c: true,
    });

    expect(keySet.signer.alg).toBe('ES256');
    expect(keySet.warnings).toEqual([]);
  });

  it('leaves existing files alone and says nothing was created', async () => {
    const first = await ensureDevKey(root);
    const keyBefore = readFileSync(first.keyPath, 'utf8');

    const second = await ensureDevKey(root);

    expect(second.created).toBe(false);
    expect(readFileSync(first.keyPath, 'utf8')).toBe(keyBefore);
  });

  it('refuses to make a new pair when only the key exists, and keeps the key', async () => {
    const files = await ensureDevKey(root);
    rmSync(files.certPath!);
    const keyBefore = readFileSync(files.keyPath, 'utf8');

    await expect(ensureDevKey(root)).rejects.toThrow(/dev-cert\.pem is missing/);
    expect(readFileSync(files.keyPath, 'utf8')).toBe(keyBefore);
  });
});

describe(ensureRefreshSecret.name, () => {
  it('writes 32 random bytes as base64 with mode 0600 when the file is missing', async () => {
    const path = join(root, 'secrets', 'refresh.key');

    const sut = await ensureRefreshSecret(path);

    expect(sut).toHaveLength(32);
    expect(readFileSync(path, 'utf8').trim()).toBe(sut.toString('base64'));
    expect(mode(path)).toBe(0o600);
  });

  it('returns the stored secret on the next start', async () => {
    const path = join(root, 'refresh.key');
    const first = await ensureRefreshSecret(path);

    expect(await ensureRefreshSecret(path)).toEqual(first);
  });

  it('refuses an existing file that holds too short a secret', async () => {
    const path = join(root, 'refresh.key');
    writeFileSync(path, Buffer.alloc(16, 7).toString('base64'));

    await expect(ensureRefreshSecret(path)).rejects.toThrow(/at least 32 random bytes/);
  });
});

describe(parseRefreshSecret.name, () => {
  it('reads the output of openssl rand -base64', () => {
    const text = execFileSync('openssl', ['rand', '-base64', '48'], { encoding: 'utf8' });

    expect(parseRefreshSecret(text, 'refresh.key')).toEqual(Buffer.from(text.trim(), 'base64'));
  });

  it('refuses a typed-in passphrase that is not base64', () => {
    expect(() => parseRefreshSecret('correct horse battery staple, a long one indeed', 'refresh.key')).toThrow(/refresh\.key must hold/);
  });
});
