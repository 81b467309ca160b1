import { CallbackError } from '../../src/backends/http/callback-error.js';
import { OverloadedError } from '../../src/common/concurrency-limiter.js';
import { Secret } from '../../src/common/secret.js';
import { answerJson, answerLate, answerText, dripBody, hugeBody, redirectTo, type CallbackServer } from '../support/callback-server.js';
import { rejection } from '../support/settled.js';
import { ctx, password, useCallbackServer } from './http-callback.fixture.js';

/** The HTTP callback provider against a real server on loopback: the protocol, and services that misbehave fail closed (docs/security.md rule 16). */

const callback = useCallbackServer();
const { buildSut } = callback;

describe('http provider: protocol', () => {
  it('POSTs {account, password, service, ip} as JSON, with the configured headers, nothing in the URL', async () => {
    callback.server.on('/authn', answerJson(200, { result: 'no_match' }));
    const sut = await buildSut({ headers: { Authorization: 'Bearer callback-token' } });
    await sut.authenticate('alice', new Secret(password), ctx());
    const seen = callback.server.requests.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/authn');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.authorization).toBe('Bearer callback-token');
    expect(JSON.parse(seen.body)).toEqual({ account: 'alice', password, service: 'registry', ip: '10.0.0.9' });
  });

  it('allows with the labels and the canonical account the service returns', async () => {
    callback.server.on('/authn', answerJson(200, { result: 'allow', labels: { group: ['dev'], level: 'max' }, account: 'Alice' }));
    const sut = await buildSut({});
    const result = await sut.authenticate('alice', new Secret(password), ctx());
    expect(result).toEqual({ kind: 'allow', labels: { group: ['dev'], level: ['max'] }, account: 'Alice' });
  });

  it.each([
    ['deny', { kind: 'deny' }],
    ['no_match', { kind: 'no_match' }],
  ])('answers %s as the service says', async (answer, expected) => {
    callback.server.on('/authn', answerJson(200, { result: answer }));
    const sut = await buildSut({});
    expect(await sut.authenticate('alice', new Secret(password), ctx())).toEqual(expected);
  });

  it('drops label keys that would pollute prototypes', async () => {
    callback.server.on('/authn', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result": "allow", "labels": {"__proto__": ["x"], "group": ["ok"]}}');
    });
    const sut = await buildSut({});
    const result = await sut.authenticate('alice', new Secret(password), ctx());
    expect(result.kind === 'allow' && Object.keys(result.labels)).toEqual(['group']);
  });

  it('reuses the connection for the next call (keep-alive)', async () => {
    callback.server.on('/authn', answerJson(200, { result: 'no_match' }));
    const sut = await buildSut({});
    await sut.authenticate('alice', new Secret(password), ctx());
    await sut.authenticate('bob', new Secret(password), ctx());
    const [first, second] = callback.server.requests.slice(-2);
    expect(second.remotePort).toBe(first.remotePort);
  });

  it('ignores HTTP_PROXY from the environment', async () => {
    callback.server.on('/authn', answerJson(200, { result: 'deny' }));
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
    callback.server.on('/authn', behaviour);
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
    callback.server.on('/elsewhere', (req, res) => {
      followed = true;
      void answerJson(200, { result: 'allow' })(req, res);
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
    callback.server.on('/authn', answerLate(3000, { result: 'allow' }));
    const sut = await buildSut({ timeout: '10s' });
    const request = new AbortController();
    setTimeout(() => request.abort(), 100);
    expect(await rejection(sut.authenticate('alice', new Secret(password), ctx(request.signal)))).toMatchObject({ code: 'aborted' });
  });

  it('counts time spent waiting for a free slot against the total deadline', async () => {
    callback.server.on('/authn', answerLate(3000, { result: 'allow' }));
    const sut = await buildSut({ timeout: '400ms', concurrency: 1, queue: 1 });
    const started = Date.now();
    const settledAt = (p: Promise<unknown>): Promise<[unknown, number]> => rejection(p).then((err) => [err, Date.now() - started]);
    const [first, queued] = await Promise.all([0, 1].map(() => settledAt(sut.authenticate('alice', new Secret(password), ctx()))));
    expect(first[0]).toMatchObject({ code: 'timeout' });
    // The queued call waited the whole 400 ms for the first one's slot: no time left of its own.
    expect(queued[0]).toMatchObject({ code: 'timeout' });
    expect(queued[1]).toBeLessThan(700);
  });

  it('sheds calls past the concurrency and queue bound', async () => {
    callback.server.on('/authn', answerLate(300, { result: 'deny' }));
    const sut = await buildSut({ concurrency: 1, queue: 0 });
    const results = await Promise.allSettled([0, 1].map(() => sut.authenticate('alice', new Secret(password), ctx())));
    expect(results[0]).toEqual({ status: 'fulfilled', value: { kind: 'deny' } });
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(OverloadedError);
  });
});
