// Measures what a flood of wrong logins does to the server (docs/security.md rules 7 and 8):
// status counts, bcrypt compares in flight, and how long legitimate users wait meanwhile.
//
//   npm run build && node scripts/flood-report.js [--server DIR] [--flood N]
//
// --server DIR runs another regauth build (a checkout with dist/ built) with the same config, to
// compare before and after a change. Figures are for one machine and one run: compare runs made
// together, not against numbers from elsewhere.
import bcrypt from 'bcrypt';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { server: { type: 'string', default: '.' }, flood: { type: 'string', default: '400' } } });
const FLOOD = Number(values.flood);
const { startServer } = await import(resolve(values.server, 'dist/server.js'));

const ALICE_PASSWORD = 'alice-right-password';
const FLOOD_FROM = '127.0.0.2';
const USERS_FROM = '127.0.0.1';

// Every bcrypt compare in this process, whichever provider makes it: the in-flight count is real.
let inFlight = 0;
let mostInFlight = 0;
let compares = 0;
const compare = bcrypt.compare;
bcrypt.compare = async (...args) => {
  compares++;
  mostInFlight = Math.max(mostInFlight, ++inFlight);
  try {
    return await compare(...args);
  } finally {
    inFlight--;
  }
};

/** The HTTP callback provider behind the static one: allows "robot". */
async function startCallback() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { account } = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ result: account === 'robot' ? 'allow' : 'no_match' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function serve(callbackPort) {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-flood-report-'));
  writeFileSync(
    join(dir, 'config.yml'),
    `server: { addr: "127.0.0.1:0", request_timeout: 2s }
token: { issuer: flood, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn:
  - { name: users, type: static, users: { alice: { password: "${bcrypt.hashSync(ALICE_PASSWORD, 10)}" } } }
  - { name: robots, type: http, url: "http://127.0.0.1:${callbackPort}/check" }
acl:
  - { match: { account: "/.+/" }, actions: [pull] }
`,
  );
  const server = await startServer({ configFile: join(dir, 'config.yml'), host: '127.0.0.1', port: 0, logLevel: 'silent' });
  return { server, dir };
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

function login(url, user, password, localAddress) {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(
      `${url}/auth?service=registry&scope=repository:team/app:pull`,
      { agent, localAddress, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode, ms: performance.now() - started }));
      },
    );
    req.on('error', () => done({ status: 0, ms: performance.now() - started }));
    req.setTimeout(30_000, () => req.destroy());
    req.end();
  });
}

async function scenario(name, floodUser, callbackPort) {
  const { server, dir } = await serve(callbackPort);
  compares = 0;
  mostInFlight = 0;
  const flood = Array.from({ length: FLOOD }, (_, i) => login(server.url, floodUser(i), `wrong-${i}`, FLOOD_FROM));
  const alice = login(server.url, 'alice', ALICE_PASSWORD, USERS_FROM);
  const robot = login(server.url, 'robot', 'robot-token', USERS_FROM);
  const answers = await Promise.all(flood);
  const [a, r] = await Promise.all([alice, robot]);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  const count = (status) => answers.filter((x) => x.status === status).length;
  const other = answers.filter((x) => ![401, 429, 503].includes(x.status)).map((x) => x.status);
  return [
    ['scenario', name],
    ['requests', FLOOD],
    ['401', count(401)],
    ['429', count(429)],
    ['503', count(503)],
    ['other', other.length ? [...new Set(other)].join(',') : '-'],
    ['slowest ms', Math.round(Math.max(...answers.map((x) => x.ms)))],
    ['compares', compares],
    ['max in flight', mostInFlight],
    ['alice (right pw)', `${a.status} in ${Math.round(a.ms)} ms`],
    ['robot (callback)', `${r.status} in ${Math.round(r.ms)} ms`],
  ];
}

const callback = await startCallback();
const port = callback.address().port;
const rows = [await scenario('wrong passwords for alice', () => 'alice', port), await scenario('rotating unknown names', (i) => `user-${i}`, port)];
callback.close();
agent.destroy();

const columns = rows[0].map(([column]) => column);
console.log(`server: ${resolve(values.server) === process.cwd() ? 'this checkout' : values.server}; flood from ${FLOOD_FROM}, users from ${USERS_FROM}`);
console.log(`| ${columns.join(' | ')} |`);
console.log(`|${columns.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.map(([, value]) => value).join(' | ')} |`);
