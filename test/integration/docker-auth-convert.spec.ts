import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorize, type AclRequest } from '../../src/acl/index.js';
import { toLabels } from '../../src/common/labels.js';
import { parseConfigText, type LoadedConfig } from '../../src/config/config-loader.js';
import { convertDockerAuth } from '../../src/config/docker-auth.convert.js';

/**
 * `regauth convert` is only right if both files decide alike: every docker_auth config the project
 * ships, and one written to hit every rule the native format reads differently, are converted and
 * both ACLs are asked the same table of requests.
 */

const SHIPPED = readdirSync('config/docker-auth').map((f) => join('config/docker-auth', f));

const TRICKY = `
server: { addr: ":5001", real_ip_header: X-Forwarded-For }
token: { issuer: tricky, certificate: c.pem, key: k.pem }
users:
  alice: { password: "$2y$10$HGv0Qr6VfhXPyuM/Nx.2Y.sTZKw0h9Dc70ltXG5WqE7oTthqrDPE.", labels: { team: [web, "pub*"] } }
acl:
  - { match: { account: "/^(ci)-.+$/", name: "\${account:2}/*" }, actions: ["*"], comment: capture 2 does not exist }
  - { match: { account: alice, name: "team/**" }, actions: [pull, push], comment: "** is * in docker_auth" }
  - { match: { name: "\${labels:team}/*" }, actions: [pull] }
  - { match: { account: "/^(ci)-.+$/", name: "\${account:1}/*" }, actions: [push, pull] }
  - { match: { ip: "10.0.0.0/8" }, actions: [pull] }
  - { match: { account: "", name: "public/*" }, actions: [pull] }
`;

const accounts = ['', 'alice', 'ops', 'dev', 'admin', 'ci-7', 'sysadmin'];
const labelSets = [toLabels({}), toLabels({ group: ['CICD'] }), toLabels({ team: ['web', 'pub*'] })];
const names = [
  'app',
  'public/app',
  'public/a/b',
  'sandbox-x',
  'sandbox-x/y',
  'tools/kit',
  'tools',
  'team/app',
  'team/a/b',
  'web/app',
  'pubx/app',
  'pub*/app',
  'ci/app',
  '*',
];
const table: AclRequest[] = accounts.flatMap((account) =>
  labelSets.flatMap((labels) =>
    names.flatMap((name) =>
      [null, '10.1.2.3', '192.0.2.1'].flatMap((ip) =>
        (['repository', 'registry'] as const).map((type) => ({ account, labels, name, type, ip, service: 'registry', actions: ['pull', 'push', 'delete'] })),
      ),
    ),
  ),
);

function decisions(loaded: LoadedConfig): string[] {
  return table.map((req) => {
    const d = authorize(loaded.acl, req);
    return d.kind === 'decided' ? d.actions.join(',') || '(none)' : 'no_match';
  });
}

describe('regauth convert', () => {
  const cases: Array<[string, string, string]> = [
    ...SHIPPED.map((file): [string, string, string] => [file, readFileSync(file, 'utf8'), file]),
    ['tricky rules', TRICKY, '/srv/auth_config.yml'],
  ];

  it.each(cases)('%s: the native file decides every request of the table as the docker_auth file does', (_name, text, file) => {
    const source = parseConfigText(text, file, {});
    const converted = convertDockerAuth(text, file, {});
    const native = parseConfigText(converted.yaml, file, {});

    expect(source.format).toBe('docker_auth');
    expect(native.format).toBe('native');
    expect(decisions(native)).toEqual(decisions(source));
  });

  it('says what it rewrote and why, in the file and on the terminal', () => {
    const converted = convertDockerAuth(TRICKY, '/srv/auth_config.yml', {});
    expect(converted.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^acl\[0\] left out: .*never matches/),
        'was name: "team/**" (docker_auth\'s ** does not cross "/", like *)',
        expect.stringContaining('${labels_pattern:…}: label values are used as patterns'),
        expect.stringContaining('real_ip_from: any keeps docker_auth trusting real_ip_header'),
      ]),
    );
    expect(converted.yaml).toContain('# was name: "team/**"');
    expect(converted.yaml).toMatch(/^# Converted from auth_config\.yml/);
  });

  it('refuses a file that is already native', () => {
    const native = readFileSync('config/example.yml', 'utf8');
    expect(() => convertDockerAuth(native, 'config/example.yml', {})).toThrow(/already a native config/);
  });
});
