#!/usr/bin/env node
// Example HTTP callback service for regauth's `type: http` provider and authorizer - a working
// template to copy into your own service, and the server regauth's tests run against.
//
//   authn:
//     - type: http
//       url: http://127.0.0.1:8090/authn
//       headers: { Authorization: "Bearer ${env:CALLBACK_TOKEN}" }
//   authz:
//     - type: http
//       url: http://127.0.0.1:8090/authz
//       headers: { Authorization: "Bearer ${env:CALLBACK_TOKEN}" }
//
// POST /authn  {"account", "password", "service", "ip"}
//          ->  {"result": "allow", "labels": {...}, "account": "..."} | {"result": "deny"} | {"result": "no_match"}
// POST /authz  {"account", "type", "name", "service", "ip", "actions", "labels"}
//          ->  {"actions": [...]}  (the granted subset; [] grants nothing)
// Any other status than 2xx, a redirect, or a body regauth cannot read makes it answer 503.
//
// Environment:
//   PORT            port to listen on (default 8090; 0 picks a free one), HOST (default 127.0.0.1)
//   CALLBACK_TOKEN  when set, requests must carry "Authorization: Bearer <token>"
//   CALLBACK_USERS  JSON {"name": {"password": "...", "labels": {...}}}; demo users otherwise
// It prints "listening on http://HOST:PORT" once ready.

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const MAX_BODY = 64 * 1024;
const DEMO_USERS = { carol: { password: 'carol-callback-pw', labels: { group: ['dev'] } } };

const users = JSON.parse(process.env.CALLBACK_USERS ?? 'null') ?? DEMO_USERS;
const token = process.env.CALLBACK_TOKEN;

/** Compares digests, so neither the length nor the content of a secret leaks through timing. */
function sameSecret(given, expected) {
  const digest = (s) => createHash('sha256').update(String(s)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const isString = (v) => typeof v === 'string';
const isStringList = (v) => Array.isArray(v) && v.every(isString);

/** The body checks a route needs: whatever a client sends, a wrong shape is a 400, never a crash. */
const shapes = {
  '/authn': (b) => isString(b.account) && isString(b.password),
  '/authz': (b) => isString(b.account) && isString(b.type) && isString(b.name) && isStringList(b.actions),
};

function authenticate({ account, password }) {
  const user = Object.hasOwn(users, account) ? users[account] : undefined;
  if (!user) return { result: 'no_match' };
  if (!sameSecret(password, user.password)) return { result: 'deny' };
  return { result: 'allow', labels: user.labels ?? {}, account };
}

/** Everyone pulls; an account pushes to repositories under its own name. */
function authorize({ account, type, name, actions }) {
  if (type !== 'repository') return { actions: [] };
  const own = account !== '' && name.startsWith(`${account}/`);
  return { actions: actions.filter((a) => a === 'pull' || (own && a === 'push')) };
}

const routes = { '/authn': authenticate, '/authz': authorize };

const server = createServer((req, res) => {
  const answer = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const route = routes[req.url];
  if (req.method !== 'POST' || !route) return answer(404, { error: 'not found' });
  if (token && !sameSecret(req.headers.authorization ?? '', `Bearer ${token}`)) return answer(401, { error: 'unauthorized' });

  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(400, { error: 'expected JSON' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !shapes[req.url](body)) {
      return answer(400, { error: 'unexpected request shape' });
    }
    try {
      answer(200, route(body));
    } catch (err) {
      // Never echo the body or the error: the body carries a password.
      process.stderr.write(`${req.url} failed: ${err instanceof Error ? err.name : 'error'}\n`);
      answer(500, { error: 'internal error' });
    }
  });
});

server.keepAliveTimeout = 30_000;
const host = process.env.HOST ?? '127.0.0.1';
server.listen(Number(process.env.PORT ?? 8090), host, () => {
  process.stdout.write(`listening on http://${host}:${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
