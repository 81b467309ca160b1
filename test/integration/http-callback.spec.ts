import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallbackError } from '../../src/authn/http/callback-error.js';
import { httpProviderSchema } from '../../src/authn/http/http.schema.js';
import { createHttpProvider } from '../../src/authn/http/http.provider.js';
import { OverloadedError } from '../../src/common/concurrency-limiter.js';
import type { Provider, RequestContext } from '../../src/authn/provider.js';
import type { ScopeRequest } from '../../src/authz/authorizer.js';
import { httpAuthorizerSchema } from '../../src/authz/http/http-authorizer.schema.js';
import { createHttpAuthorizer } from '../../src/authz/http/http.authorizer.js';
import { toLabels } from '../../src/common/labels.js';
import { Secret } from '../../src/common/secret.js';
import {
  answerJson,
  answerLate,
  answerText,
  dripBody,
  hugeBody,
  redirectTo,
  startCallbackServer,
  type CallbackServer,
} from '../support/callback-server.js';

/** The HTTP callback provider and authorizer against a real server on loopback (security rule 16). */

const password = 'callback pw: s3cret';
const ctx = (signal = new AbortController().signal): RequestContext => ({ requestId: 'r1', ip: '10.0.0.9', service: 'registry', signal });
const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

let work: string;
let server: CallbackServer;
const built: { close?: () => Promise<void> }[] = [];

async function buildSut(config: Record<string, unknown>): Promise<Provider> {
  const sut = await createHttpProvider(httpProviderSchema.parse({ type: 'http', url: `${server.url}/authn`, ...config }), { baseDir: work, name: 'callback' });
  built.push(sut);
  return sut;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'regauth-callback-'));
  server = await startCallbackServer();
});
afterAll(async () => {
  await Promise.all(built.map((b) => b.close?.()));
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('http provider: protocol', () => {
  it('POSTs {account, password, service, ip} as JSON, with the configured headers, nothing in the URL', async () => {
    server.on('/authn', answerJson(200, { result: 'no_match' }));
    const sut = await buildSut({ headers: { Authorization: 'Bearer callback-token' } });
    await sut.authenticate('alice', new Secret(password), ctx());
    const seen = server.requests.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/authn');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.authorization).toBe('Bearer callback-token');
    expect(JSON.parse(seen.body)).toEqual({ account: 'alice', password, service: 'registry', ip: '10.0.0.9' });
  });

  it('allows with the labels and the canonical account the service returns', async () => {
    server.on('/authn', answerJson(200, { result: 'allow', labels: { group: ['dev'], level: 'max' }, account: 'Alice' }));
    const sut = await buildSut({});
    const result = await sut.authenticate('alice', new Secret(password), ctx());
    expect(result).toEqual({ kind: 'allow', labels: { group: ['dev'], level: ['max'] }, account: 'Alice' });
  });

  it.each([
    ['deny', { kind: 'deny' }],
    ['no_match', { kind: 'no_match' }],
  ])('answers %s as the service says', async (answer, expected) => {
    server.on('/authn', answerJson(200, { result: answer }));
    const sut = await buildSut({});
    expect(await sut.authenticate('alice', new Secret(password), ctx())).toEqual(expected);
  });

  it('drops label keys that would pollute prototypes', async () => {
    server.on('/authn', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result": "allow", "labels": {"__proto__": ["x"], "group": ["ok"]}}');
    });
    const sut = await buildSut({});
    const result = await sut.authenticate('alice', new Secret(password), ctx());
    expect(result.kind === 'allow' && Object.keys(result.labels)).toEqual(['group']);
  });

  it('reuses the connection for the next call (keep-alive)', async () => {
    server.on('/authn', answerJson(200, { result: 'no_match' }));
    const sut = await buildSut({});
    await sut.authenticate('alice', new Secret(password), ctx());
    await sut.authenticate('bob', new Secret(password), ctx());
    const [first, second] = server.requests.slice(-2);
    expect(second!.remotePort).toBe(first!.remotePort);
  });

  it('ignores HTTP_PROXY from the environment', async () => {
    server.on('/authn', answerJson(200, { result: 'deny' }));
    process.env.HTTP_PROXY = 'http://127.0.0.1:9';
    process.env.http_proxy = 'http://127.0.0.1:9';
    try {
      const sut = await buildSut({});
      expect(await sut.authenticate('alice', new Secret(password), ctx())).toEqual({ kind: 'deny' });
    } finally {
      delete process.env.HTTP_PROXY;
      delete process.env.http_proxy;
    }
  });
});

describe('http provider: misbehaving services fail closed', () => {
  const failureOf = async (behaviour: Parameters<CallbackServer['on']>[1], config: Record<string, unknown> = {}): Promise<CallbackError> => {
    server.on('/authn', behaviour);
    const sut = await buildSut(config);
    const err = await rejection(sut.authenticate('alice', new Secret(password), ctx()));
    expect(err).toBeInstanceOf(CallbackError);
    expect((err as Error).message).not.toContain(password);
    return err as CallbackError;
  };

  it('gives up on a slow service at the total deadline', async () => {
    const started = Date.now();
    expect((await failureOf(answerLate(3000, { result: 'allow' }), { timeout: '300ms' })).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('gives up on a body that trickles in past the total deadline', async () => {
    const started = Date.now();
    expect((await failureOf(dripBody(50), { timeout: '400ms' })).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('does not follow a redirect', async () => {
    let followed = false;
    server.on('/elsewhere', (req, res) => {
      followed = true;
      answerJson(200, { result: 'allow' })(req, res);
    });
    expect((await failureOf(redirectTo('/elsewhere'))).code).toBe('redirect');
    expect(followed).toBe(false);
  });

  it('fails on a 500 answer even with a protocol-shaped body', async () => {
    expect((await failureOf(answerJson(500, { result: 'deny' }))).code).toBe('status');
  });

  it('fails on a body that is not JSON', async () => {
    expect((await failureOf(answerText(200, '<html>ok</html>'))).code).toBe('bad_response');
  });

  it.each([
    ['an unknown result', { result: 'maybe' }],
    ['no result', { labels: {} }],
    ['labels of the wrong type', { result: 'allow', labels: ['admins'] }],
    ['an account with a control character', { result: 'allow', account: 'root\n' }],
  ])('fails on JSON with %s', async (_what, body) => {
    expect((await failureOf(answerJson(200, body))).code).toBe('bad_response');
  });

  it.each([
    ['with Content-Length', true],
    ['chunked', false],
  ])('refuses a body over the size cap (%s)', async (_how, withLength) => {
    expect((await failureOf(hugeBody(2 * 1024 * 1024, withLength), { max_response: 64 * 1024 })).code).toBe('too_large');
  });

  it('fails when nothing listens at the URL', async () => {
    const sut = await buildSut({ url: 'http://127.0.0.1:9/authn' });
    expect(await rejection(sut.authenticate('alice', new Secret(password), ctx()))).toMatchObject({ code: 'network' });
  });

  it('stops when the request is aborted', async () => {
    server.on('/authn', answerLate(3000, { result: 'allow' }));
    const sut = await buildSut({ timeout: '10s' });
    const request = new AbortController();
    setTimeout(() => request.abort(), 100);
    expect(await rejection(sut.authenticate('alice', new Secret(password), ctx(request.signal)))).toMatchObject({ code: 'aborted' });
  });

  it('counts time spent waiting for a free slot against the total deadline', async () => {
    server.on('/authn', answerLate(3000, { result: 'allow' }));
    const sut = await buildSut({ timeout: '400ms', concurrency: 1, queue: 1 });
    const started = Date.now();
    const settledAt = (p: Promise<unknown>): Promise<[unknown, number]> => rejection(p).then((err) => [err, Date.now() - started]);
    const [first, queued] = await Promise.all([0, 1].map(() => settledAt(sut.authenticate('alice', new Secret(password), ctx()))));
    expect(first![0]).toMatchObject({ code: 'timeout' });
    // The queued call waited the whole 400 ms for the first one's slot: no time left of its own.
    expect(queued![0]).toMatchObject({ code: 'timeout' });
    expect(queued![1]).toBeLessThan(700);
  });

  it('sheds calls past the concurrency and queue bound', async () => {
    server.on('/authn', answerLate(300, { result: 'deny' }));
    const sut = await buildSut({ concurrency: 1, queue: 0 });
    const results = await Promise.allSettled([0, 1].map(() => sut.authenticate('alice', new Secret(password), ctx())));
    expect(results[0]).toEqual({ status: 'fulfilled', value: { kind: 'deny' } });
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(OverloadedError);
  });
});

describe('http provider: TLS', () => {
  let tlsServer: CallbackServer;
  let files: Record<'serverKey' | 'serverCert' | 'clientKey' | 'clientCert' | 'otherCert', string>;

  const selfSigned = (name: string, san?: string): { key: string; cert: string } => {
    const key = join(work, `${name}.key`);
    const cert = join(work, `${name}.crt`);
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-keyout', key, '-out', cert],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    return { key, cert };
  };

  beforeAll(async () => {
    const srv = selfSigned('callback-server', 'IP:127.0.0.1');
    const client = selfSigned('regauth-client');
    const other = selfSigned('someone-else', 'IP:127.0.0.1');
    files = { serverKey: srv.key, serverCert: srv.cert, clientKey: client.key, clientCert: client.cert, otherCert: other.cert };
    tlsServer = await startCallbackServer({ key: readFileSync(srv.key), cert: readFileSync(srv.cert), clientCa: readFileSync(client.cert) });
    tlsServer.on('/authn', answerJson(200, { result: 'allow', labels: {} }));
  });
  afterAll(() => tlsServer.close());

  it('calls an https service with the configured CA and client certificate', async () => {
    const sut = await buildSut({ url: `${tlsServer.url}/authn`, tls: { ca: files.serverCert, certificate: files.clientCert, key: files.clientKey } });
    expect(await sut.authenticate('alice', new Secret(password), ctx())).toEqual({ kind: 'allow', labels: {} });
  });

  it('refuses a server certificate the configured CA did not issue', async () => {
    const sut = await buildSut({ url: `${tlsServer.url}/authn`, tls: { ca: files.otherCert, certificate: files.clientCert, key: files.clientKey } });
    expect(await rejection(sut.authenticate('alice', new Secret(password), ctx()))).toMatchObject({ code: 'network' });
  });

  it('cannot get in without the client certificate the service requires', async () => {
    const sut = await buildSut({ url: `${tlsServer.url}/authn`, tls: { ca: files.serverCert } });
    expect(await rejection(sut.authenticate('alice', new Secret(password), ctx()))).toMatchObject({ code: 'network' });
  });

  it('refuses to start when a TLS file cannot be read', async () => {
    await expect(buildSut({ url: `${tlsServer.url}/authn`, tls: { ca: 'missing-ca.pem' } })).rejects.toThrow('tls.ca: cannot read missing-ca.pem');
  });
});

describe('http provider: config', () => {
  it.each([
    ['a non-http URL', { url: 'ftp://127.0.0.1/x' }],
    ['a header regauth sets itself', { url: 'http://127.0.0.1/x', headers: { 'Content-Type': 'text/plain' } }],
    ['a header value with a line break', { url: 'http://127.0.0.1/x', headers: { 'X-A': 'a\r\nX-B: b' } }],
    ['a client certificate without its key', { url: 'https://127.0.0.1/x', tls: { certificate: 'c.pem' } }],
  ])('rejects %s', (_what, config) => {
    expect(httpProviderSchema.safeParse({ type: 'http', ...config }).success).toBe(false);
  });
});

describe('http authorizer', () => {
  const request: ScopeRequest = {
    account: 'alice',
    type: 'repository',
    name: 'team/app',
    service: 'registry',
    ip: null,
    labels: toLabels({ group: ['dev'] }),
    actions: ['pull', 'push'],
  };
  const buildAuthorizer = async (config: Record<string, unknown> = {}) => {
    const sut = await createHttpAuthorizer(httpAuthorizerSchema.parse({ type: 'http', url: `${server.url}/authz`, ...config }), { baseDir: work, name: 'authz-cb' });
    built.push(sut);
    return sut;
  };

  it('POSTs the scope request and grants the actions the service answers', async () => {
    server.on('/authz', answerJson(200, { actions: ['pull'] }));
    const sut = await buildAuthorizer();
    expect(await sut.authorize(request, ctx())).toEqual({ kind: 'decided', actions: ['pull'] });
    expect(JSON.parse(server.requests.at(-1)!.body)).toEqual({
      account: 'alice',
      type: 'repository',
      name: 'team/app',
      service: 'registry',
      ip: null,
      actions: ['pull', 'push'],
      labels: { group: ['dev'] },
    });
  });

  it('treats an empty list as a decision to grant nothing', async () => {
    server.on('/authz', answerJson(200, { actions: [] }));
    expect(await (await buildAuthorizer()).authorize(request, ctx())).toEqual({ kind: 'decided', actions: [] });
  });

  it.each([
    ['an answer without actions', answerJson(200, { result: 'allow' })],
    ['a 500', answerJson(500, { actions: ['pull'] })],
    ['a redirect', redirectTo('/authn')],
  ])('fails on %s', async (_what, behaviour) => {
    server.on('/authz', behaviour);
    expect(await rejection((await buildAuthorizer()).authorize(request, ctx()))).toBeInstanceOf(CallbackError);
  });
});
