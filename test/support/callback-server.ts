import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP(S) server on loopback for the callback tests, scripted per path: well-behaved
 * JSON answers and the failures a callback service shows in production (slow, redirecting,
 * 500, garbage, huge or endless bodies). It records every request it receives.
 */

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Client port: the same port on two requests means a kept-alive connection. */
  readonly remotePort: number;
}

export type Behaviour = (req: ReceivedRequest, res: ServerResponse) => void | Promise<void>;

export interface TlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** When set, clients must present a certificate signed by one of these. */
  readonly clientCa?: string | Buffer;
}

export interface CallbackServer {
  /** http(s)://127.0.0.1:PORT */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  on(path: string, behaviour: Behaviour): void;
  close(): Promise<void>;
}

export async function startCallbackServer(tls?: TlsOptions): Promise<CallbackServer> {
  const routes = new Map<string, Behaviour>();
  const requests: ReceivedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort ?? 0,
      };
      requests.push(received);
      const behaviour = routes.get(received.path) ?? answerJson(404, { error: 'no such route' });
      void Promise.resolve(behaviour(received, res)).catch(() => res.destroy());
    });
  };
  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    on: (path, behaviour) => void routes.set(path, behaviour),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const answerJson =
  (status: number, body: unknown): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

export const answerText =
  (status: number, text: string): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end(text);
  };

/** Answers `body` after `ms`. */
export const answerLate =
  (ms: number, body: unknown): Behaviour =>
  async (req, res) => {
    await new Promise((r) => setTimeout(r, ms));
    if (!res.destroyed) void answerJson(200, body)(req, res);
  };

export const redirectTo =
  (location: string, status = 302): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };

/** Sends headers at once, then the body one byte every `intervalMs`: fast to start, never done. */
export const dripBody =
  (intervalMs: number): Behaviour =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), intervalMs);
    res.on('close', () => clearInterval(timer));
  };

/** A JSON string of `bytes` bytes, with or without Content-Length (chunked). */
export const hugeBody =
  (bytes: number, withLength: boolean): Behaviour =>
  (_req, res) => {
    const body = Buffer.from(JSON.stringify({ result: 'allow', padding: 'x'.repeat(bytes) }));
    res.writeHead(200, { 'content-type': 'application/json', ...(withLength ? { 'content-length': String(body.length) } : {}) });
    const chunk = 16 * 1024;
    for (let i = 0; i < body.length && !res.destroyed; i += chunk) res.write(body.subarray(i, i + chunk));
    res.end();
  };
