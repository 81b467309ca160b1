import bcrypt from 'bcryptjs';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { KeyPairFiles } from '../support/openssl-keys.js';
import type { Creds } from '../support/skopeo.js';

/**
 * The users, ACL and config files the product e2e tests run regauth with. One ACL for both
 * config formats, so the same cases hold for each:
 *   admin  everything (catalog and delete included)
 *   pusher pull+push on dev/*
 *   puller pull anywhere
 *   ""     (anonymous) pull on public/*
 */

export const SERVICE = 'e2e-registry';
export const ISSUER = 'e2e-issuer';

export const users = {
  admin: { user: 'admin', password: 'admin-e2e-password' },
  pusher: { user: 'pusher', password: 'pusher-e2e-password' },
  puller: { user: 'puller', password: 'puller: e2e password' },
} as const satisfies Record<string, Creds>;

// Cost 4: the tests are about the protocol, not about bcrypt's slowness.
const hash = (creds: Creds): string => bcrypt.hashSync(creds.password, 4);

function usersYaml(indent: string): string {
  return [
    `admin:  { password: "${hash(users.admin)}" }`,
    `pusher: { password: "${hash(users.pusher)}", labels: { team: ["dev"] } }`,
    `puller: { password: "${hash(users.puller)}" }`,
    `"": {}`,
  ]
    .map((line) => indent + line)
    .join('\n');
}

const ACL_YAML = `
  - { match: { account: admin }, actions: ["*"] }
  - { match: { account: pusher, name: "dev/*" }, actions: [pull, push] }
  - { match: { account: puller }, actions: [pull] }
  - { match: { account: "", name: "public/*" }, actions: [pull] }`;

export interface NativeConfigOptions {
  readonly keys: KeyPairFiles;
  readonly x5c: boolean;
}

/** regauth's own format; key paths are relative to the config file, which sits next to them. */
export function writeNativeConfig(dir: string, opts: NativeConfigOptions): string {
  const file = join(dir, 'regauth.yml');
  writeFileSync(
    file,
    `server: { addr: "127.0.0.1:0" }
token:
  issuer: "${ISSUER}"
  expiration: 300
  keys: [ { key: ${basename(opts.keys.keyPath)}, certificate: ${basename(opts.keys.certPath)} } ]
  x5c: ${opts.x5c}
  kid_format: libtrust
services: ["${SERVICE}"]
authn:
  - type: static
    users:
${usersYaml('      ')}
acl:${ACL_YAML}
`,
  );
  return file;
}

/** cesanta/docker_auth's auth_config.yml layout, which regauth must read unchanged. */
export function writeDockerAuthConfig(dir: string, keys: KeyPairFiles): string {
  const file = join(dir, 'auth_config.yml');
  writeFileSync(
    file,
    `server:
  addr: "127.0.0.1:0"
token:
  issuer: "${ISSUER}"
  expiration: 900
  certificate: "${basename(keys.certPath)}"
  key: "${basename(keys.keyPath)}"
users:
${usersYaml('  ')}
acl:${ACL_YAML}
`,
  );
  return file;
}
