import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-issue.js';
import { parseConfigText } from './config-loader.js';

const HASH = '$2b$04$abcdefghijklmnopqrstuuOTKdXmHcdFpgKRZYbOs1E9ZQXzLrKae';

const nativeConfig = (extra = ''): string => `
token:
  issuer: test
  keys: [{ key: key.pem, certificate: cert.pem }]
authn:
  - type: static
    users:
      alice: { password: "${HASH}" }
${extra}`;

const dockerAuthConfig = (extra = ''): string => `
server: { addr: ":5001" }
token:
  issuer: "Acme auth"
  expiration: 900
  certificate: /etc/auth/server.pem
  key: /etc/auth/server.key
users:
  admin: { password: "${HASH}" }
  "": {}
acl:
  - match: { account: admin }
    actions: ["*"]
${extra}`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, '/srv/regauth/config.yml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('parseConfigText (native)', () => {
  it('fills defaults for a minimal config', () => {
    const sut = parseConfigText(nativeConfig(), '/srv/regauth/config.yml', {});
    expect(sut.format).toBe('native');
    expect(sut.baseDir).toBe('/srv/regauth');
    expect(sut.config.server.addr).toBe(':5001');
    expect(sut.config.server.request_timeout).toBe(10_000);
    expect(sut.config.token.expiration).toBe(300);
    expect(sut.config.token.kid_format).toBe('libtrust');
    expect(sut.config.acl).toEqual([]);
  });

  it('freezes the result', () => {
    const sut = parseConfigText(nativeConfig(), '/srv/regauth/config.yml', {});
    expect(Object.isFrozen(sut.config.token.keys[0])).toBe(true);
  });

  it('names an unknown key with its full path', () => {
    expect(issuesOf(nativeConfig().replace('alice: { password:', 'alice: { pasword:'))).toContain('authn[0].users.alice.pasword: unknown key');
  });

  it('reports every problem at once', () => {
    const text = `${nativeConfig()}
server: { addr: "nonsense", bogus: 1 }
acl:
  - match: { ip: "10.0.0.0/33" }
    actions: [pull]
`;
    const issues = issuesOf(text);
    expect(issues).toEqual(expect.arrayContaining([expect.stringMatching(/^server\.addr: expected host:port/), 'server.bogus: unknown key']));
  });

  it('reports ACL pattern errors with the entry index once the schema passes', () => {
    const issues = issuesOf(`${nativeConfig()}
acl:
  - match: { account: admin }
    actions: ["*"]
  - match: { ip: "10.0.0.0/33" }
    actions: [pull]
`);
    expect(issues).toEqual([expect.stringMatching(/^acl\[1\]\.match\.ip: /)]);
  });

  describe('ACL entries, shaped by the schema', () => {
    const withAcl = (acl: string): string => `${nativeConfig()}\nacl:\n${acl}\n`;

    it('requires match and actions', () => {
      expect(issuesOf(withAcl('  - { actions: [pull] }\n  - { match: {} }'))).toEqual(['acl[0].match: required', 'acl[1].actions: required']);
    });

    it('rejects an entry that is not a mapping', () => {
      expect(issuesOf(withAcl('  - pull'))).toEqual([expect.stringMatching(/^acl\[0\]: expected object/)]);
    });

    it('rejects unknown keys in an entry and in match (a misspelt key must not match everything)', () => {
      expect(issuesOf(withAcl('  - { match: { acount: bob }, actions: [], coment: x }'))).toEqual([
        'acl[0].match.acount: unknown key',
        'acl[0].coment: unknown key',
      ]);
    });

    it('rejects actions outside pull, push, delete and *', () => {
      expect(issuesOf(withAcl('  - { match: {}, actions: [pull, write] }'))).toEqual(['acl[0].actions[1]: unknown value (known: pull, push, delete, *)']);
    });

    it('rejects non-string patterns', () => {
      expect(issuesOf(withAcl('  - { match: { account: [a, b] }, actions: [pull] }'))).toEqual(['acl[0].match.account: expected string']);
    });

    it('refuses a capture reference that can never resolve in a native config', () => {
      expect(issuesOf(withAcl('  - { match: { account: "/^(.+)$/", name: "${account:2}/*" }, actions: [pull] }'))).toEqual([
        'acl[0].match.name: ${account:2} cannot be resolved: match.account has 1 capture group(s)',
      ]);
    });

    it('compiles the ACL once, into the loaded config', () => {
      const sut = parseConfigText(withAcl('  - { match: { account: alice }, actions: [pull] }'), '/x/c.yml', {});
      expect(sut.acl.rules.map((r) => r.index)).toEqual([0]);
    });
  });

  it('refuses real_ip_header without trusted_proxies: any client could choose its own address', () => {
    expect(issuesOf(`${nativeConfig()}\nserver: { real_ip_header: X-Real-IP }`)).toEqual([
      'server.real_ip_header: needs server.trusted_proxies: only the proxies named there may set the client ip',
    ]);
  });

  it('lists the known provider types for an unknown type', () => {
    expect(issuesOf(nativeConfig().replace('type: static', 'type: ldapp'))).toEqual([
      expect.stringMatching(/^authn\[0\]\.type: unknown value \(known: static/),
    ]);
  });

  it('requires a bcrypt hash, not a plain password', () => {
    expect(issuesOf(nativeConfig().replace(HASH, 'hunter2'))).toEqual([expect.stringMatching(/^authn\[0\]\.users\.alice\.password: must be a bcrypt hash/)]);
  });

  it('refuses a password on the anonymous user', () => {
    const text = nativeConfig().replace('      alice:', `      "": { password: "${HASH}" }\n      alice:`);
    expect(issuesOf(text)).toEqual(['authn[0].users[""].password: the anonymous user "" has no password']);
  });

  it('rejects an invalid trusted proxy CIDR', () => {
    expect(issuesOf(`${nativeConfig()}\nserver: { trusted_proxies: ["10.0.0.0/8", "10.0.0.*"] }`)).toEqual([
      'server.trusted_proxies[1]: invalid address or CIDR "10.0.0.*"',
    ]);
  });

  it('rejects a token lifetime under 60 seconds', () => {
    expect(issuesOf(nativeConfig().replace('issuer: test', 'issuer: test\n  expiration: 30'))).toEqual([expect.stringMatching(/^token\.expiration: /)]);
  });

  it('reports a YAML syntax error with its line', () => {
    expect(issuesOf('token: [unclosed\n')).toEqual([expect.stringMatching(/YAML: .*\(line \d+\)/)]);
  });

  it('rejects duplicate keys instead of keeping the last', () => {
    expect(issuesOf(`${nativeConfig()}\ntoken: {}\n`)).toEqual([expect.stringMatching(/YAML: .*unique/i)]);
  });

  it('parses durations with units', () => {
    const sut = parseConfigText(`${nativeConfig()}\nserver: { request_timeout: 1500ms }`, '/x/c.yml', {});
    expect(sut.config.server.request_timeout).toBe(1500);
  });

  it('rejects a malformed duration', () => {
    expect(issuesOf(`${nativeConfig()}\nserver: { request_timeout: 5 minutes }`)).toEqual([
      expect.stringMatching(/^server\.request_timeout: invalid duration "5 minutes"/),
    ]);
  });
});

describe('parseConfigText (start-up hygiene)', () => {
  it.each([
    ['a line break', 'a\\nb', 'U+000A'],
    ['a control character', 'a\\u0007b', 'U+0007'],
    ['a character outside Latin-1', 'auth \\u2603', 'U+2603'],
  ])('refuses an issuer with %s, which no header can carry', (_case, issuer, code) => {
    expect(issuesOf(nativeConfig().replace('issuer: test', `issuer: "${issuer}"`))).toEqual([
      `token.issuer: contains ${code}, which cannot go into the WWW-Authenticate header; use printable characters`,
    ]);
  });

  it('names the docker_auth key when the issuer of a docker_auth file is refused', () => {
    expect(issuesOf(dockerAuthConfig().replace('"Acme auth"', '"Acme\\tauth"'))).toEqual([expect.stringMatching(/^token\.issuer: contains U\+0009/)]);
  });

  it('accepts an issuer with spaces, punctuation and Latin-1 letters', () => {
    expect(issuesOf(nativeConfig().replace('issuer: test', 'issuer: "Société Auth (prod) #1"'))).toEqual([]);
  });

  it('warns when nothing can ever be granted', () => {
    const sut = parseConfigText(`${nativeConfig()}\nacl:\n  - { match: { account: alice }, actions: [] }`, '/x/c.yml', {});
    expect(sut.warnings).toContain('the config grants nothing: no acl rule gives an action and there is no authz backend, so every scope is refused');
  });

  it('does not warn about granting nothing when an authz backend decides', () => {
    const sut = parseConfigText(`${nativeConfig()}\nauthz: [{ type: command, command: ./authz.sh }]`, '/x/c.yml', {});
    expect(sut.warnings.filter((w) => w.includes('grants nothing'))).toEqual([]);
  });

  it('warns about a not_before in the future', () => {
    const refresh = '  refresh: { secrets: [r.secret], not_before: "2999-01-01T00:00:00Z" }';
    const sut = parseConfigText(nativeConfig().replace('  keys:', `${refresh}\n  keys:`), '/x/c.yml', {});
    expect(sut.warnings).toContain('token.refresh.not_before (2999-01-01T00:00:00Z) is in the future: every refresh token issued until then is refused');
  });
});

describe('parseConfigText (secret references)', () => {
  it('substitutes ${env:NAME}', () => {
    const sut = parseConfigText(nativeConfig().replace('issuer: test', 'issuer: "${env:ISSUER}"'), '/x/c.yml', { ISSUER: 'from-env' });
    expect(sut.config.token.issuer).toBe('from-env');
  });

  it('names the path of an unset environment variable', () => {
    expect(issuesOf(nativeConfig().replace('issuer: test', 'issuer: "${env:NOPE}"'))).toContain('token.issuer: environment variable NOPE is not set');
  });

  it('substitutes ${file:PATH} relative to the config file, dropping the final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cfg-'));
    writeFileSync(join(dir, 'issuer.txt'), 'from-file\n');
    const sut = parseConfigText(nativeConfig().replace('issuer: test', 'issuer: "${file:issuer.txt}"'), join(dir, 'c.yml'), {});
    expect(sut.config.token.issuer).toBe('from-file');
  });

  it('warns when a referenced secret file can be read by others, naming the reference and where it is used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-cfg-'));
    writeFileSync(join(dir, 'token.txt'), 'callback-token-value\n', { mode: 0o644 });
    chmodSync(join(dir, 'token.txt'), 0o644);
    const sut = parseConfigText(nativeConfig().replace('issuer: test', 'issuer: "${file:token.txt}"'), join(dir, 'c.yml'), {});
    const warning = sut.warnings.find((w) => w.includes('token.txt'));
    expect(warning).toBe('${file:token.txt} in token.issuer can be accessed by its group and everyone (mode 0644): it holds a secret, chmod 600 it');
  });

  it('leaves ACL placeholders alone', () => {
    const sut = parseConfigText(`${nativeConfig()}\nacl:\n  - { match: { name: "\${account}/*" }, actions: [pull] }`, '/x/c.yml', {});
    expect(sut.config.acl[0].match.name).toBe('${account}/*');
  });
});

describe('parseConfigText (docker_auth format)', () => {
  it('recognises and translates a docker_auth config', () => {
    const sut = parseConfigText(dockerAuthConfig(), '/etc/auth/auth_config.yml', {});
    expect(sut.format).toBe('docker_auth');
    expect(sut.config.token).toMatchObject({
      issuer: 'Acme auth',
      expiration: 900,
      keys: [{ key: '/etc/auth/server.key', certificate: '/etc/auth/server.pem' }],
      kid_format: 'libtrust',
      x5c: false,
    });
    expect(sut.config.authn).toEqual([{ type: 'static', name: 'users', cache: 0, users: { admin: { password: HASH }, '': {} } }]);
    expect(sut.config.acl).toEqual([{ match: { account: 'admin' }, actions: ['*'] }]);
  });

  it('maps disable_legacy_key_id to the RFC 7638 kid', () => {
    const sut = parseConfigText(dockerAuthConfig().replace('expiration: 900', 'expiration: 900\n  disable_legacy_key_id: true'), '/e/a.yml', {});
    expect(sut.config.token.kid_format).toBe('jwk-thumbprint');
  });

  it('names an unsupported section', () => {
    expect(issuesOf(dockerAuthConfig('google_auth: { domain: example.com }'))).toEqual(['google_auth: not supported: google_auth']);
  });

  it('names an unsupported server option', () => {
    expect(issuesOf(dockerAuthConfig().replace('addr: ":5001"', 'addr: ":5001", letsencrypt: {}'))).toEqual([
      'server.letsencrypt: not supported: server.letsencrypt',
    ]);
  });

  it('points errors at the docker_auth keys the operator wrote', () => {
    expect(issuesOf(dockerAuthConfig().replace('admin: { password:', 'admin: { pasword:'))).toContain('users.admin.pasword: unknown key');
  });

  it('takes the last of duplicate keys with a warning, as docker_auth does', () => {
    const sut = parseConfigText(dockerAuthConfig().replace('issuer: "Acme auth"', 'issuer: "first"\n  issuer: "Acme auth"'), '/e/a.yml', {});
    expect(sut.config.token.issuer).toBe('Acme auth');
    expect(sut.warnings).toEqual([expect.stringMatching(/unique.*the last value is used/i)]);
  });

  it('rejects an unknown top-level key rather than dropping it', () => {
    expect(issuesOf(dockerAuthConfig('acls: []'))).toEqual(['acls: unknown key']);
  });

  it('loads a rule whose capture reference cannot resolve, warns, and never matches it, as docker_auth does', async () => {
    const { authorize } = await import('../acl/index.js');
    const text = dockerAuthConfig('  - match: { account: "/^(.+)$/", name: "${account:3}/*" }\n    actions: ["*"]\n  - match: {}\n    actions: [pull]');
    const sut = parseConfigText(text, '/e/a.yml', {});
    expect(sut.warnings).toContain('acl[1].match.name: ${account:3} cannot be resolved: match.account has 1 capture group(s); the rule never matches');
    const request = { account: 'bob', type: 'repository', name: 'bob/app', service: 's', ip: null, labels: {}, actions: ['push'] };
    expect(authorize(sut.acl, request)).toMatchObject({ kind: 'decided', rule: 2, actions: [] });
  });

  it("keeps docker_auth's real_ip_header, believed from every client, with a warning that says why it is unsafe", () => {
    const sut = parseConfigText(
      dockerAuthConfig().replace('server: { addr: ":5001" }', 'server: { addr: ":5001", real_ip_header: X-Forwarded-For }'),
      '/e/a.yml',
      {},
    );
    expect(sut.config.server.real_ip_from).toBe('any');
    expect(sut.warnings).toContainEqual(expect.stringMatching(/believed from every client.*anyone can choose the ip/));
  });

  it('rejects an ACL entry without actions, which docker_auth would crash on', () => {
    expect(issuesOf(dockerAuthConfig('  - match: { account: bob }'))).toEqual(['acl[1].actions: required']);
  });
});

describe('ACL glob dialect', () => {
  it('keeps Go path.Match semantics for docker_auth files: ** does not cross /', async () => {
    const { authorize, compileAcl } = await import('../acl/index.js');
    const { aclOptions } = await import('./config-loader.js');
    const rules = [{ match: { name: 'team/**' }, actions: ['pull'] }];
    const request = { account: 'a', type: 'repository', name: 'team/a/b', service: 's', ip: null, labels: {}, actions: ['pull'] };
    expect(authorize(compileAcl(rules, 'acl', aclOptions('docker_auth')).acl, request).kind).toBe('no_match');
    expect(authorize(compileAcl(rules, 'acl', aclOptions('native')).acl, request).kind).toBe('decided');
  });
});
