import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { parseConfigText } from '../../src/config/config-loader.js';
import { splitAddr } from '../../src/config/listen-addr.js';

/**
 * The image and the compose file cannot be built or run here (no base images), so what must
 * agree between them is checked from the files themselves: the registry's token settings against
 * the regauth config it is paired with, the Dockerfile against the config it ships, and the
 * starter configs pass `regauth check-config`.
 */

interface ComposeService {
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  read_only?: boolean;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const { regauth, registry } = compose.services;

/** The Dockerfile's instructions of the final stage, continuation lines joined. */
function finalStage(): Array<[string, string]> {
  const lines = readFileSync('Dockerfile', 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n');
  const instructions = lines
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l): [string, string] => {
      const [word, ...rest] = l.trim().split(/\s+/);
      return [word.toUpperCase(), rest.join(' ')];
    });
  const lastFrom = instructions.map(([w]) => w).lastIndexOf('FROM');
  return [...instructions.slice(0, 1), ...instructions.slice(lastFrom)];
}
const stage = finalStage();
const instruction = (name: string): string[] => stage.filter(([w]) => w === name).map(([, rest]) => rest);

/** `host:container` volume → [source, target]. */
const mount = (volumes: string[] | undefined, target: string): string | undefined => volumes?.map((v) => v.split(':')).find(([, t]) => t === target)?.[0];

function starterConfig(file: string) {
  return parseConfigText(readFileSync(file, 'utf8'), file, { LDAP_BIND_PASSWORD: 'x' }).config;
}

describe('docker-compose.yml', () => {
  const configFile = posix.join('deploy/compose/config', 'config.yml');
  const config = starterConfig(configFile);

  it('mounts the starter config folder at /config and points REGAUTH_CONFIG into it', () => {
    expect(mount(regauth.volumes, '/config')).toBe('./deploy/compose/config');
    expect(regauth.environment?.REGAUTH_CONFIG).toBe('/config/${REGAUTH_CONFIG_FILE:-config.yml}');
  });

  it('gives the registry the service, issuer and certificate the regauth config uses', () => {
    const env = registry.environment!;
    expect(env.REGISTRY_AUTH).toBe('token');
    expect(config.services).toContain(env.REGISTRY_AUTH_TOKEN_SERVICE);
    expect(env.REGISTRY_AUTH_TOKEN_ISSUER).toBe(config.token.issuer);
    expect(env.REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE).toBe(config.token.keys[0].certificate);
    // Both containers see the same volume at the folder of the certificate.
    const folder = posix.dirname(config.token.keys[0].certificate!);
    expect(mount(registry.volumes, `${folder}:ro`) ?? mount(registry.volumes, folder)).toBe(mount(regauth.volumes, folder));
    expect(Object.keys(compose.volumes)).toContain(mount(regauth.volumes, folder));
  });

  it('points the realm at the port regauth listens on and publishes, with the path prefix', () => {
    const realm = new URL(registry.environment!.REGISTRY_AUTH_TOKEN_REALM);
    const [, port] = splitAddr(config.server.addr);
    expect(regauth.ports).toContain(`${realm.port}:${port}`);
    expect(realm.pathname).toBe(`${config.server.path_prefix}/auth`);
    expect(realm.protocol).toBe(config.server.certificate ? 'https:' : 'http:');
  });

  it('starts the registry only once regauth is healthy (the certificate exists then), regauth read-only', () => {
    expect(registry.depends_on?.regauth.condition).toBe('service_healthy');
    expect(regauth.read_only).toBe(true);
  });

  it('keeps the ldap profile config in agreement too', () => {
    const ldap = starterConfig('deploy/compose/config/ldap.yml');
    expect(ldap.token.issuer).toBe(config.token.issuer);
    expect(ldap.token.keys[0].certificate).toBe(config.token.keys[0].certificate);
    expect(ldap.services).toEqual(config.services);
    expect(compose.services.ldap.profiles).toEqual(['ldap']);
  });

  it.each(['config.yml', 'ldap.yml'])('starter %s passes regauth check-config', (name) => {
    const r = spawnSync(process.execPath, ['bin/regauth.js', 'check-config', `deploy/compose/config/${name}`], {
      encoding: 'utf8',
      env: { ...process.env, LDAP_BIND_PASSWORD: 'x' },
      timeout: 30_000,
    });
    expect(r.stderr).not.toMatch(/invalid config/);
    expect(r.status).toBe(0);
  });
});

describe('Dockerfile', () => {
  it('runs a current Node LTS (22 or later)', () => {
    const arg = instruction('ARG').find((a) => a.startsWith('NODE_VERSION='));
    expect(Number(arg?.split('=')[1])).toBeGreaterThanOrEqual(22);
    expect(instruction('FROM').at(-1)).toMatch(/^node:\$\{NODE_VERSION\}-/);
  });

  it('runs the server under an init as PID 1, as a non-root user', () => {
    expect(JSON.parse(instruction('ENTRYPOINT')[0]) as string[]).toEqual(['/usr/bin/tini', '--', 'node', 'bin/regauth.js']);
    expect(instruction('RUN').join(' ')).toMatch(/apt-get install .*\btini\b/);
    expect(instruction('USER').at(-1)).not.toMatch(/^(root|0)$/);
  });

  it('checks health with the bundled CLI, not curl', () => {
    expect(instruction('HEALTHCHECK')[0]).toMatch(/CMD \["node", "bin\/regauth\.js", "healthcheck"\]$/);
  });

  it('ships the starter config where REGAUTH_CONFIG points, and exposes its port', () => {
    const env = instruction('ENV').join(' ');
    expect(env).toContain('REGAUTH_CONFIG=/config/config.yml');
    expect(instruction('COPY')).toContain('deploy/compose/config/config.yml /config/config.yml');
    const [, port] = splitAddr(starterConfig('deploy/compose/config/config.yml').server.addr);
    expect(instruction('EXPOSE')).toEqual([String(port)]);
  });

  it('installs only production dependencies in the final image', () => {
    const deps = readFileSync('Dockerfile', 'utf8');
    expect(deps).toMatch(/npm ci --omit=dev/);
    expect(instruction('COPY').filter((c) => c.includes('node_modules'))).toEqual(['--from=deps /app/node_modules ./node_modules']);
  });
});
