// The benchmark's server configs and requests (BENCHMARKS.md describes each workload).
import bcrypt from 'bcrypt';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PASSWORDS = { cost10: 'bench-cost10-password', cost5: 'bench-cost5-password' };
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

/**
 * Writes the bench config for one signing key; throttling is off, so W5's 401s stay 401s, except
 * with `redis` (W11, W12), where it is on and counts in the shared store. `first`
 * puts the script or LDAP provider before the static one: behind it, the static provider's dummy
 * bcrypt compare for a name it does not know (at the users' highest cost) would be what is measured.
 */
export function writeBenchConfig(dir, keyFile, { cache = '0s', first, workers, ldap, redis } = {}) {
  const script = join(dir, 'ext_auth.sh');
  writeFileSync(script, '#!/bin/sh\nread line\n[ "$line" = "robot robot-token" ] && exit 0\nexit 2\n');
  chmodSync(script, 0o755);
  const file = join(dir, 'config.yml');
  const users = `  - name: users
    type: static
    cache: ${cache}
    users:
      alice: { password: "${bcrypt.hashSync(PASSWORDS.cost10, 10)}" }
      bob: { password: "${bcrypt.hashSync(PASSWORDS.cost5, 5)}" }
      "": {}`;
  const scripts = `  - { name: scripts, type: command, command: ./ext_auth.sh, cache: ${cache}, concurrency: 64, queue: 10000 }`;
  const directory = ldap
    ? `  - name: corp
    type: ldap
    url: ${ldap.url}
    bind_dn: ${JSON.stringify(ldap.directory.SERVICE_ACCOUNT.dn)}
    bind_password: ${JSON.stringify(ldap.directory.SERVICE_ACCOUNT.password)}
    base: ${JSON.stringify(ldap.directory.SUFFIX)}
    filter: "(&(uid=\${account})(objectClass=inetOrgPerson))"
    cache: ${cache}
    labels: { groups: { attribute: memberOf, parse_cn: true } }`
    : '';
  const order = { scripts: [scripts, users, directory], ldap: [directory, users, scripts] }[first] ?? [users, scripts, directory];
  writeFileSync(
    file,
    `server: { addr: "127.0.0.1:0", workers: ${workers}, password_hashing: { concurrency: 2, queue: 10000 } }
throttle: { enabled: ${redis ? 'true' : 'false'} }
${
  redis
    ? `store: { type: redis, url: "${redis.url}" }
`
    : ''
}metrics: { enabled: false }
reload: { watch: false }
token:
  issuer: bench
  keys: [{ key: ${JSON.stringify(keyFile)} }]
  refresh: { secrets: [refresh.secret] }
services: [registry]
authn:
${order.filter(Boolean).join('\n')}
acl:
  - { match: { account: "", name: "public/*" }, actions: [pull] }
  - { match: { account: "/.+/" }, actions: [pull, push] }
`,
  );
  writeFileSync(join(dir, 'refresh.secret'), `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
  return file;
}

const scope = 'scope=repository:foo/bar:pull,push';
const fiveScopes = ['a', 'b', 'c', 'd', 'e'].map((n) => `scope=repository:team/${n}:pull,push`).join('&');

const aliceLogin = () => ({ path: `/auth?service=registry&${scope}`, headers: { Authorization: basic('alice', PASSWORDS.cost10) } });
const refreshGrant = ({ refreshToken }) => ({
  path: '/auth',
  method: 'POST',
  headers: { 'Content-Type': FORM },
  body: `grant_type=refresh_token&service=registry&client_id=bench&refresh_token=${refreshToken}&${scope}`,
});

/**
 * Each workload: the request wrk repeats, and what a correct answer is. `refresh` asks the server
 * for a refresh token first (W9). `pending` names what a workload still waits for.
 */
export const WORKLOADS = [
  { id: 'W1', title: 'anonymous pull of public/*', request: () => ({ path: '/auth?service=registry&scope=repository:public/app:pull' }), status: 200 },
  {
    id: 'W2',
    title: 'static user, bcrypt 10, credential cache on',
    cache: '60s',
    request: aliceLogin,
    status: 200,
  },
  {
    id: 'W3',
    title: 'static user, bcrypt 10, cache off',
    request: aliceLogin,
    status: 200,
  },
  {
    id: 'W4',
    title: 'static user, bcrypt 5, cache off',
    request: () => ({ path: `/auth?service=registry&${scope}`, headers: { Authorization: basic('bob', PASSWORDS.cost5) } }),
    status: 200,
  },
  {
    id: 'W5',
    title: 'wrong password, bcrypt 5 (401)',
    request: () => ({ path: `/auth?service=registry&${scope}`, headers: { Authorization: basic('bob', 'wrong-password') } }),
    status: 401,
  },
  {
    id: 'W6',
    title: 'five scopes per request, cached user',
    cache: '60s',
    request: () => ({ path: `/auth?service=registry&${fiveScopes}`, headers: { Authorization: basic('bob', PASSWORDS.cost5) } }),
    status: 200,
  },
  {
    id: 'W7',
    // First in the chain: behind the static provider, its dummy bcrypt compare for the unknown
    // name (at the users' highest cost) would be what is measured.
    title: 'ext_auth script provider first in the chain, cache off',
    first: 'scripts',
    request: () => ({ path: `/auth?service=registry&${scope}`, headers: { Authorization: basic('robot', 'robot-token') } }),
    status: 200,
  },
  {
    id: 'W8',
    title: 'LDAP user against a local slapd (bind as the service account, search, bind as the user), cache off',
    first: 'ldap',
    ldap: true,
    request: ({ ldap }) => ({
      path: `/auth?service=registry&${scope}`,
      headers: { Authorization: basic(ldap.directory.PEOPLE.bob.uid, ldap.directory.PEOPLE.bob.password) },
    }),
    status: 200,
  },
  {
    id: 'W9',
    title: 'refresh-token grant (POST)',
    refresh: true,
    request: refreshGrant,
    status: 200,
  },
  {
    id: 'W10',
    title: 'OAuth2 password grant (POST), cached user',
    cache: '60s',
    request: () => ({
      path: '/auth',
      method: 'POST',
      headers: { 'Content-Type': FORM },
      body: `grant_type=password&service=registry&client_id=bench&username=bob&password=${PASSWORDS.cost5}&${scope}`,
    }),
    status: 200,
  },
  {
    id: 'W11',
    title: 'W2 with the shared store: failed-login throttle on, counted in a local redis-server',
    cache: '60s',
    redis: true,
    request: aliceLogin,
    status: 200,
  },
  {
    id: 'W12',
    title: 'W9 with the shared store: each refresh reads the revocation list from a local redis-server',
    refresh: true,
    redis: true,
    request: refreshGrant,
    status: 200,
  },
];

/** A refresh token for bob, for W9. */
export async function fetchRefreshToken(url) {
  const res = await fetch(`${url}/auth?service=registry&offline_token=true&${scope}`, { headers: { Authorization: basic('bob', PASSWORDS.cost5) } });
  const body = await res.json();
  if (!body.refresh_token) throw new Error(`no refresh token (HTTP ${res.status})`);
  return body.refresh_token;
}

/** One request as the server must answer it: checked once before each figure. */
export async function checkAnswer(url, request, status) {
  const res = await fetch(`${url}${request.path}`, { method: request.method ?? 'GET', headers: request.headers, body: request.body });
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${res.status} for ${request.path}`);
}
