import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';

/** The built `regauth` bin, run as users run it (npm test builds first). */
function regauth(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/regauth.js', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('regauth CLI', () => {
  it('prints usage with --help', () => {
    const sut = regauth(['--help']);
    expect(sut.code).toBe(0);
    expect(sut.stdout).toMatch(/serve.*\n.*check-config/s);
  });

  it.each(['serve', 'check-config', 'hash-password', 'gen-key', 'registry-config', 'explain', 'revoke'])('%s --help describes the command', (command) => {
    const sut = regauth([command, '--help']);
    expect(sut.code).toBe(0);
    expect(sut.stdout).toContain(`Usage: regauth ${command}`);
  });

  it('exits 2 on an unknown command', () => {
    expect(regauth(['frobnicate']).code).toBe(2);
  });

  it('check-config accepts the shipped docker_auth config with its keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    regauth(['gen-key', '--key', join(dir, 'server.key'), '--cert', join(dir, 'server.pem')]);
    const file = join(dir, 'auth_config.yml');
    const shipped = readFileSync('config/docker-auth/auth_config.yml', 'utf8');
    writeFileSync(file, shipped.replace('../../data/dev-cert.pem', 'server.pem').replace('../../data/dev-key.pem', 'server.key'));
    const sut = regauth(['check-config', file]);
    expect(sut.stderr).toBe('');
    expect(sut.code).toBe(0);
    expect(sut.stdout).toContain('docker_auth format');
  });

  it('check-config sets up the backends: a missing ext_auth script is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    regauth(['gen-key', '--key', join(dir, 'k.pem'), '--cert', join(dir, 'c.pem')]);
    const file = join(dir, 'auth_config.yml');
    writeFileSync(file, 'token: { issuer: x, certificate: c.pem, key: k.pem }\next_auth: { command: ./no-such-script.sh }\nacl: []\n');
    const sut = regauth(['check-config', file]);
    expect(sut.code).toBe(1);
    expect(sut.stderr).toMatch(/ext_auth: .*no-such-script\.sh/);
  });

  it('check-config names every bad key and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      'token: { issuer: x, keys: [{ key: k.pem }] }\nauthn: [{ type: nope }]\nacl: [{ match: { ip: "10.0.0.0/33" }, actions: [pull] }]\nbogus: 1\n',
    );
    const sut = regauth(['check-config', file]);
    expect(sut.code).toBe(1);
    expect(sut.stderr).toContain('authn[0].type: unknown value (known: static');
    expect(sut.stderr).toContain('bogus: unknown key');
  });

  it('hash-password reads the password from stdin and prints a verifiable bcrypt hash', async () => {
    const sut = regauth(['hash-password', '--cost', '4'], 'p@ss word:1\n');
    expect(sut.code).toBe(0);
    expect(await bcrypt.compare('p@ss word:1', sut.stdout.trim())).toBe(true);
  });

  it('hash-password refuses a password bcrypt would truncate', () => {
    expect(regauth(['hash-password'], `${'x'.repeat(73)}\n`).code).toBe(2);
  });

  it('gen-key writes a key and certificate that check out with openssl', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    const key = join(dir, 'k.pem');
    const cert = join(dir, 'c.pem');
    expect(regauth(['gen-key', '--type', 'rsa', '--key', key, '--cert', cert, '--cn', 'cli-test']).code).toBe(0);
    const verify = spawnSync('openssl', ['verify', '-CAfile', cert, cert], { encoding: 'utf8' });
    expect(verify.stdout).toContain('OK');
    expect(readFileSync(key, 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('gen-key --force replaces a group-readable key with a 0600 one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    const key = join(dir, 'k.pem');
    writeFileSync(key, 'old key', { mode: 0o644 });
    chmodSync(key, 0o644);

    expect(regauth(['gen-key', '--key', key, '--cert', join(dir, 'c.pem')]).code).toBe(2);
    expect(regauth(['gen-key', '--force', '--key', key, '--cert', join(dir, 'c.pem')]).code).toBe(0);

    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('gen-key --force replaces a symbolic link instead of writing the key where it points', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    const elsewhere = join(dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'not a key', { mode: 0o644 });
    const key = join(dir, 'k.pem');
    symlinkSync(elsewhere, key);

    expect(regauth(['gen-key', '--force', '--key', key, '--cert', join(dir, 'c.pem')]).code).toBe(0);

    expect(lstatSync(key).isSymbolicLink()).toBe(false);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not a key');
    expect(readdirSync(dir).sort()).toEqual(['c.pem', 'elsewhere.txt', 'k.pem']);
  });

  it('gen-key without --force refuses a path taken by a dangling symbolic link', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    const key = join(dir, 'k.pem');
    symlinkSync(join(dir, 'nowhere.pem'), key);

    const sut = regauth(['gen-key', '--key', key, '--cert', join(dir, 'c.pem')]);

    expect(sut.code).toBe(2);
    expect(sut.stderr).toContain('exists; use --force');
    expect(existsSync(join(dir, 'nowhere.pem'))).toBe(false);
  });

  it('registry-config writes the bundle and prints the auth.token section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
    const key = join(dir, 'k.pem');
    const cert = join(dir, 'c.pem');
    regauth(['gen-key', '--key', key, '--cert', cert]);
    const config = join(dir, 'c.yml');
    writeFileSync(config, `token: { issuer: "iss", keys: [{ key: k.pem, certificate: c.pem }] }\nservices: [reg]\nauthn: []\n`);
    const bundle = join(dir, 'bundle.pem');
    const sut = regauth(['registry-config', '--config', config, '--bundle', bundle, '--realm', 'https://auth.example.com/auth']);
    expect(sut.code).toBe(0);
    expect(sut.stdout).toContain('realm: https://auth.example.com/auth');
    expect(sut.stdout).toContain('service: "reg"');
    expect(sut.stdout).toContain('issuer: "iss"');
    expect(readFileSync(bundle, 'utf8')).toBe(readFileSync(cert, 'utf8'));
  });

  describe('explain', () => {
    const config = 'config/default.yml';

    it('shows per scope what is granted and which rule decided, as JSON', () => {
      const sut = regauth(['explain', '--config', config, '--account', 'admin', '--json', 'registry:catalog:*', 'repository:team/app:pull,push']);
      expect(sut.code).toBe(0);
      expect(JSON.parse(sut.stdout)).toEqual({
        account: 'admin',
        scopes: [
          {
            scope: 'registry:catalog:*',
            type: 'registry',
            name: 'catalog',
            requested: ['*'],
            granted: ['*'],
            rule: 0,
            comment: 'admin can do anything, including the catalog',
          },
          {
            scope: 'repository:team/app:pull,push',
            type: 'repository',
            name: 'team/app',
            requested: ['pull', 'push'],
            granted: ['pull', 'push'],
            rule: 0,
            comment: 'admin can do anything, including the catalog',
          },
        ],
      });
    });

    it("treats --account '' as anonymous", () => {
      const sut = regauth(['explain', '--config', config, '--account', '', '--json', 'repository:public/base:pull,push', 'repository:team/app:pull']);
      const scopes = (JSON.parse(sut.stdout) as { scopes: { granted: string[]; rule: number | null }[] }).scopes;
      expect(scopes.map((s) => [s.granted, s.rule])).toEqual([
        [['pull'], 1],
        [[], null],
      ]);
    });

    it('uses --label values, accumulating repeated keys', () => {
      const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
      const file = join(dir, 'c.yml');
      writeFileSync(file, `token: { issuer: i, keys: [{ key: k.pem }] }\nauthn: []\nacl:\n  - { match: { labels: { team: ops } }, actions: [push] }\n`);
      const sut = regauth(['explain', '--config', file, '--account', 'x', '--label', 'team=dev', '--label', 'team=ops', '--json', 'repository:a:push']);
      expect((JSON.parse(sut.stdout) as { scopes: { granted: string[] }[] }).scopes[0].granted).toEqual(['push']);
    });

    it('does not match ip rules without --ip', () => {
      const dir = mkdtempSync(join(tmpdir(), 'regauth-cli-'));
      const file = join(dir, 'c.yml');
      writeFileSync(file, `token: { issuer: i, keys: [{ key: k.pem }] }\nauthn: []\nacl:\n  - { match: { ip: 10.0.0.0/8 }, actions: [pull] }\n`);
      const without = regauth(['explain', '--config', file, '--account', 'x', '--json', 'repository:a:pull']);
      const withIp = regauth(['explain', '--config', file, '--account', 'x', '--ip', '10.1.2.3', '--json', 'repository:a:pull']);
      expect((JSON.parse(without.stdout) as { scopes: { rule: number | null }[] }).scopes[0].rule).toBeNull();
      expect((JSON.parse(withIp.stdout) as { scopes: { rule: number | null }[] }).scopes[0].rule).toBe(0);
    });
  });
});
