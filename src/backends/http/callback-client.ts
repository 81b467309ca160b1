import { readFileSync } from 'node:fs';
import type { BackendBuildContext } from '../../common/build-context.js';
import { looseSecretFileWarning } from '../../common/file-mode.js';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolve } from 'node:path';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { ConcurrencyLimiter, OverloadedError } from '../../common/concurrency-limiter.js';
import { isLoopbackHost } from '../../common/loopback.js';
import { CallbackError } from './callback-error.js';
import type { HttpCallbackOptions } from './http.schema.js';

export interface CallbackClient {
  /** Origin and path of the URL: names the endpoint in log messages. */
  readonly endpoint: string;
  /** POSTs `body` (already JSON) and returns the parsed JSON answer of a 2xx response. */
  post(body: string, signal: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * One configured callback endpoint, prepared at load: keep-alive agent with the TLS material,
 * static headers, concurrency bound. Every call has a total deadline, follows no redirect, ignores
 * HTTP(S)_PROXY from the environment and reads at most `max_response` bytes (docs/security.md rule 16).
 * Credentials travel in the POST body only.
 */
export function createCallbackClient(options: HttpCallbackOptions, ctx: BackendBuildContext): CallbackClient {
  const { baseDir } = ctx;
  const warn = ctx.warn ?? ((message: string) => process.emitWarning(message, { code: 'REGAUTH_HTTP' }));
  const url = new URL(options.url);
  const endpoint = `${url.origin}${url.pathname}`;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    // Loopback is exempt: a sidecar on the same host is reached without crossing a network.
    warn(
      `callback ${endpoint} is plain http: what it is sent (passwords, for an authn callback) and what it answers cross the network unencrypted; use https://`,
    );
  }
  if (options.tls?.key !== undefined) {
    const loose = looseSecretFileWarning(resolve(baseDir, options.tls.key), `callback ${endpoint} tls.key (${options.tls.key})`);
    if (loose) warn(loose);
  }
  const readPem = (file: string | undefined, key: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      const pem = readFileSync(resolve(baseDir, file));
      ctx.uses(resolve(baseDir, file));
      return pem;
    } catch (err) {
      throw new Error(`tls.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    }
  };
  const tls = options.tls;
  const agentOptions = { keepAlive: true, maxSockets: options.concurrency };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent({
    ...agentOptions,
    ca: readPem(tls?.ca, 'ca'),
    cert: readPem(tls?.certificate, 'certificate'),
    key: readPem(tls?.key, 'key'),
    servername: tls?.server_name,
    rejectUnauthorized: true,
  });
  const client: AxiosInstance = axios.create({
    httpAgent,
    httpsAgent,
    proxy: false,
    maxRedirects: 0,
    maxContentLength: options.max_response,
    responseType: 'arraybuffer',
    validateStatus: () => true,
    headers: { ...options.headers, 'Content-Type': 'application/json', Accept: 'application/json' },
  });
  const limiter = new ConcurrencyLimiter({ concurrency: options.concurrency, queue: options.queue, name: `callback ${endpoint}` });

  /** Why a call stopped early: the request's own deadline, or this callback's `timeout`. */
  const stopped = (signal: AbortSignal): CallbackError =>
    signal.aborted
      ? new CallbackError('aborted', endpoint, 'request deadline passed')
      : new CallbackError('timeout', endpoint, `no complete answer within ${options.timeout} ms`);

  const call = async (body: string, signal: AbortSignal, deadline: AbortSignal): Promise<unknown> => {
    if (deadline.aborted) throw stopped(signal);
    try {
      const res = await client.post<Buffer>(options.url, body, { signal: deadline });
      if (res.status >= 300 && res.status < 400) throw new CallbackError('redirect', endpoint, `answered ${res.status} (redirects are not followed)`);
      if (res.status < 200 || res.status >= 300) throw new CallbackError('status', endpoint, `answered ${res.status}`);
      return parseJson(Buffer.from(res.data), endpoint);
    } catch (err) {
      if (err instanceof CallbackError) throw err;
      if (deadline.aborted) throw stopped(signal);
      // Axios errors carry the request config, body (and so the password) included: keep only
      // what the log needs.
      if (err instanceof AxiosError && /maxContentLength/.test(err.message)) {
        throw new CallbackError('too_large', endpoint, `response larger than ${options.max_response} bytes`);
      }
      throw new CallbackError('network', endpoint, err instanceof AxiosError ? (err.code ?? 'request failed') + networkDetail(err) : 'request failed');
    }
  };

  return {
    endpoint,
    async post(body, signal) {
      // `timeout` is the total a caller waits for this callback, time in the queue included.
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeout)]);
      try {
        return await limiter.run(() => call(body, signal, deadline), deadline);
      } catch (err) {
        // A wait in the queue cut short by either deadline rejects with the signal's reason.
        if (err instanceof CallbackError || err instanceof OverloadedError || !deadline.aborted) throw err;
        throw stopped(signal);
      }
    },
    async close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function parseJson(data: Buffer, endpoint: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    throw new CallbackError('bad_response', endpoint, `answer is not JSON (${data.length} bytes)`);
  }
}

/** The system error behind an axios failure (ECONNREFUSED, a TLS reason), without the config. */
function networkDetail(err: AxiosError): string {
  const cause: NodeJS.ErrnoException | undefined = err.cause;
  const reason = cause?.code ?? cause?.message;
  return reason && reason !== err.code ? ` (${reason})` : '';
}
