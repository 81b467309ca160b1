import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpProviderSchema } from '../../src/backends/http/http.schema.js';
import { Secret } from '../../src/common/secret.js';
import { answerJson, startCallbackServer, type CallbackServer } from '../support/callback-server.js';
import { rejection } from '../support/settled.js';
import { ctx, password, useCallbackServer } from './http-callback.fixture.js';

/** The HTTP callback provider over TLS against a real server on loopback, and the configs it refuses (docs/security.md rule 16). */

const callback = useCallbackServer();
const { buildSut } = callback;

describe('http provider: TLS', () => {
  let tlsServer: CallbackServer;
  let files: Record<'serverKey' | 'serverCert' | 'clientKey' | 'clientCert' | 'otherCert', string>;

  const selfSigned = (name: string, san?: string): { key: string; cert: string } => {
    const key = join(callback.dir, `${name}.key`);
    const cert = join(callback.dir, `${name}.crt`);
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        ...(san ? ['-addext', `subjectAltName=${san}`] : []),
        '-keyout',
        key,
        '-out',
        cert,
      ],
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
