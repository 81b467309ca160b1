import bcrypt from 'bcrypt';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { basic, capturingLogger } from '../support/token-server.fixture.js';

/**
 * Every request answers in time and in shape (docs/security.md rule 3): random methods, paths,
 * headers, query strings, bodies and credentials against the real app, first through Fastify's
 * inject() (many cases, fast), then as raw bytes on a real socket. Each class of input has the
 * statuses docs/config.md documents for it; none may get a 500 or go unanswered.
 */

const PASSWORD = 'props-password';
const REQUEST_TIMEOUT_MS = 2000;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
  readonly ms: number;
}

describe('HTTP properties', () => {
  let dir: string;
  let sut: RunningServer;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-props-'));
    const file = join(dir, 'config.yml');
    writeFileSync(
      file,
      `server: { addr: "127.0.0.1:0", request_timeout: 2s, header_timeout: 2s }
throttle: { enabled: false }
token: { issuer: props, generate_missing: true, keys: [{ key: k.pem }], refresh: { secrets: [r.secret] } }
services: [registry]
authn:
  - name: users
    type: static
    users:
      alice: { password: "${bcrypt.hashSync(PASSWORD, 4)}" }
      "": {}
acl:
  - { match: { account: alice }, actions: [pull, push] }
  - { match: { account: "" }, actions: [pull] }
`,
    );
    sut = await startServer({ configFile: file, host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
  });
  afterAll(async () => {
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
    // Whatever was thrown at it, the server never logged a password it was sent.
    for (const line of logs) expect(line).not.toContain(PASSWORD);
  });

  async function send(method: string, url: string, headers: Record<string, string>, payload?: string): Promise<Answer> {
    const started = performance.now();
    const res = await sut.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
    return { status: res.statusCode, headers: res.headers, body: res.body, ms: performance.now() - started };
  }

  /** What every answer must be, whatever the input. */
  function inShape(answer: Answer): void {
    expect(answer.status).not.toBe(500);
    expect(answer.status).toBeLessThan(600);
    expect(answer.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1000);
    expect(answer.body).not.toContain(PASSWORD);
    if (answer.status >= 400) {
      const body = JSON.parse(answer.body) as { errors?: Array<{ code?: unknown }> };
      expect(typeof body.errors?.[0]?.code).toBe('string');
    }
    if (answer.status === 401) expect(String(answer.headers['www-authenticate'])).toMatch(/^Basic realm="props"$/);
    if (answer.status === 405) expect(answer.headers.allow).toBe('GET, POST');
  }

  const text = fc.string({ unit: 'binary', maxLength: 40 });
  const token = fc.stringMatching(/^[A-Za-z0-9._:/@*,-]{0,30}$/);
  const scope = fc.oneof(
    fc.tuple(fc.constantFrom('repository', 'registry', 'x'), token, fc.constantFrom('pull', 'push', 'pull,push', '*', 'bogus', '')).map((p) => p.join(':')),
    token,
    text,
  );
  const queryPair = fc.oneof(
    fc.tuple(fc.constant('scope'), scope),
    fc.tuple(fc.constantFrom('service', 'scope', 'account', 'offline_token', 'client_id', 'grant_type'), fc.oneof(token, text, fc.constant('registry'))),
    fc.tuple(text, text),
  );
  const query = fc.array(queryPair, { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString());
  const credentials = fc.oneof(
    fc.constant(basic('alice', PASSWORD)),
    // basic() registers the password for the log scan; the marker keeps a random password from
    // also turning up, by chance, in a random scope of another request, which is logged as it should be.
    fc.tuple(fc.constantFrom('alice', 'bob', '', 'ALICE'), text).map(([user, pw]) => basic(user, `§pw§${pw}`)),
    fc.tuple(fc.constantFrom('Basic ', 'Bearer ', 'basic ', ''), fc.oneof(text, fc.base64String({ maxLength: 40 }))).map(([scheme, v]) => `${scheme}${v}`),
  );
  const junkHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[\x20-\x7e]{0,60}$/), { maxKeys: 4 });
  /** Header values inject() can put on the wire: no CR, LF or NUL. */
  const headerSafe = (value: string): boolean => [...value].every((c) => c !== '\r' && c !== '\n' && c !== '\0' && c.charCodeAt(0) <= 0xff);

  it('GET /auth with any query and credentials: 200, 400 or 401, never more', async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.option(credentials), junkHeaders, async (q, auth, extra) => {
        fc.pre(auth === null || headerSafe(auth));
        const answer = await send('GET', `/auth?${q}`, { ...extra, ...(auth === null ? {} : { authorization: auth }) });
        inShape(answer);
        expect([200, 400, 401]).toContain(answer.status);
      }),
      { numRuns: 300 },
    );
  });

  it('GET /auth with the right credentials, the service and well-formed scopes: always 200', async () => {
    const wellFormed = fc.tuple(fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+){0,2}$/), fc.constantFrom('pull', 'push', 'pull,push'));
    await fc.assert(
      fc.asyncProperty(fc.array(wellFormed, { maxLength: 5 }), junkHeaders, async (scopes, extra) => {
        const q = new URLSearchParams([
          ['service', 'registry'],
          ...scopes.map(([name, actions]): [string, string] => ['scope', `repository:${name}:${actions}`]),
        ]);
        const answer = await send('GET', `/auth?${q.toString()}`, { ...extra, authorization: basic('alice', PASSWORD) });
        inShape(answer);
        expect(answer.status).toBe(200);
      }),
      { numRuns: 100 },
    );
  });

  it('a wrong password, however spelt: always 401 with a Basic challenge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), async (pw) => {
        fc.pre(pw !== PASSWORD);
        const answer = await send('GET', '/auth?service=registry&scope=repository:a:pull', { authorization: basic('alice', pw) });
        inShape(answer);
        expect(answer.status).toBe(401);
      }),
      { numRuns: 100 },
    );
  });

  it('POST /auth with any content type and body: 200, 400, 401, 413 or 415', async () => {
    const contentType = fc.option(
      fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded; charset=utf-8',
      ),
    );
    const body = fc.oneof(
      query,
      fc
        .array(queryPair, { maxLength: 6 })
        .map((pairs) => new URLSearchParams([['grant_type', 'password'], ['username', 'alice'], ['password', PASSWORD], ...pairs]).toString()),
      fc.string({ unit: 'binary', maxLength: 300 }),
    );
    await fc.assert(
      fc.asyncProperty(contentType, body, fc.option(credentials), async (type, payload, auth) => {
        fc.pre(auth === null || headerSafe(auth));
        const headers = { ...(type === null ? {} : { 'content-type': type }), ...(auth === null ? {} : { authorization: auth }) };
        const answer = await send('POST', '/auth', headers, payload);
        inShape(answer);
        expect([200, 400, 401, 413, 415]).toContain(answer.status);
      }),
      { numRuns: 300 },
    );
  });

  it('any other method on /auth: 405 naming GET and POST', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('PUT', 'DELETE', 'PATCH'), query, async (method, q) => {
        const answer = await send(method, `/auth?${q}`, {});
        inShape(answer);
        expect(answer.status).toBe(405);
      }),
      { numRuns: 50 },
    );
  });

  it('any other path: 404, or 400 when it is not valid percent-encoding', async () => {
    const path = fc
      .stringMatching(/^\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]{0,60}$/)
      .filter((p) => !/^\/(auth(\/token)?|healthz|readyz|\.well-known\/jwks\.json)\/?$/i.test(p.split('?')[0]));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST'), path, async (method, p) => {
        const answer = await send(method, p, {});
        inShape(answer);
        expect(answer.status).toBe(decodable(p) ? 404 : 400);
      }),
      { numRuns: 150 },
    );
  });

  it('raw bytes on a real socket: an HTTP error or a closed connection, in time, never a 5xx', async () => {
    const { port } = new URL(sut.url);
    const requestLine = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'PUT', 'BREW', ''),
          fc.string({ unit: 'binary-ascii', maxLength: 80 }),
          fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9', ''),
        )
        .map(([m, target, version]) => `${m} ${target} ${version}\r\n`),
      fc.string({ unit: 'binary-ascii', maxLength: 120 }),
    );
    const answered: number[] = [];
    const headerLines = fc.array(fc.string({ unit: 'binary-ascii', maxLength: 80 }), { maxLength: 5 }).map((lines) => lines.map((l) => `${l}\r\n`).join(''));
    await fc.assert(
      fc.asyncProperty(requestLine, headerLines, fc.string({ unit: 'binary-ascii', maxLength: 200 }), async (line, headers, rest) => {
        const reply = await rawExchange(Number(port), `${line}Host: x\r\n${headers}\r\n${rest}`, REQUEST_TIMEOUT_MS + 2000);
        expect(reply.timedOut).toBe(false);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply.data)?.[1];
        if (status !== undefined) {
          answered.push(Number(status));
          expect(Number(status)).toBeLessThan(500);
        }
      }),
      { numRuns: 100 },
    );
    // The property is about answers: most of these inputs must have got one, not just a close.
    expect(answered.length).toBeGreaterThan(50);
    expect(answered).toContain(400);
  });
});

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes bytes, half-closes, and collects the reply until the server closes or `ms` passes. */
function rawExchange(port: number, bytes: string, ms: number): Promise<{ data: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data, timedOut: true });
    }, ms);
    socket.on('data', (chunk: Buffer) => void (data += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, timedOut: false });
    });
    socket.end(Buffer.from(bytes, 'latin1'));
  });
}
