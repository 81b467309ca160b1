import { connect } from 'node:net';
import { basic } from '../support/token-server.fixture.js';
import { useTokenEndpoint, users } from './token-endpoint.fixture.js';

/**
 * The token endpoint over real HTTP: requests refused as malformed, and the methods and paths it
 * does not serve (docs/protocol.md checklist A, B, E).
 */

describe('token endpoint over HTTP', () => {
  const endpoint = useTokenEndpoint();
  const { get, post } = endpoint;

  it('answers 400 for two Authorization headers', async () => {
    // fetch would fold them into one; a raw request sends both, as a confused proxy might.
    const { port } = new URL(endpoint.sut.url);
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end(
          `GET /auth?service=it-registry HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
            `Authorization: ${basic('bob', users.bob)}\r\nAuthorization: ${basic('admin', users.admin)}\r\n\r\n`,
        );
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers 400 when the scopes together exceed the size cap', async () => {
    const scopes = Array.from({ length: 20 }, (_, i) => `scope=repository:team/${'x'.repeat(240)}${i}:pull`).join('&');
    expect((await get(`service=it-registry&${scopes}`, basic('admin', users.admin))).status).toBe(400);
  });

  it('answers 405 with the JSON error shape for other methods on the token path', async () => {
    const res = await fetch(`${endpoint.sut.url}/auth?service=it-registry`, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0].code).toBe('UNSUPPORTED');
  });

  it('answers HEAD without running the grant', async () => {
    expect((await fetch(`${endpoint.sut.url}/auth?service=it-registry`, { method: 'HEAD', headers: { authorization: basic('bob', users.bob) } })).status).toBe(
      405,
    );
  });

  it('answers unknown paths with a JSON 404 that does not echo the URL', async () => {
    const res = await fetch(`${endpoint.sut.url}/nope/<script>`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('script');
  });

  it('answers 413 in the JSON error shape for an oversized body', async () => {
    const res = await post({ grant_type: 'password', username: 'bob', password: 'x'.repeat(70_000), service: 'it-registry' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { details: string }).details).toBe('request body too large');
  });

  it('answers 400 for a scope that cannot be parsed', async () => {
    const res = await get('service=it-registry&scope=repository-without-actions', basic('admin', users.admin));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('answers 400 when account differs from the Basic user', async () => {
    expect((await get('service=it-registry&account=admin', basic('bob', users.bob))).status).toBe(400);
  });

  it('answers 400 for a service outside the allow-list', async () => {
    expect((await get('service=evil&scope=repository:dev/app:pull', basic('admin', users.admin))).status).toBe(400);
  });

  it('answers 400 for a missing service when several are configured', async () => {
    expect((await get('scope=repository:dev/app:pull', basic('admin', users.admin))).status).toBe(400);
  });
});
