import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from './free-port.js';
import { scannedLogger } from './log-scan.js';
import { startRegistry, type RunningRegistry } from './registry-process.js';
import type { Creds } from './skopeo.js';

/**
 * regauth plus a real registry that trusts it. regauth starts first on a port picked up front,
 * because the registry's `realm` must name it before the registry starts.
 */

export interface AuthStackOptions {
  readonly configFile: string;
  /** Must match the config: the registry's `service` and `issuer` are what the tokens carry. */
  readonly service: string;
  readonly issuer: string;
  /** The certificate(s) of the signing key(s), as the registry's `rootcertbundle`. */
  readonly rootCertBundlePath: string;
}

export interface AuthStack {
  readonly server: RunningServer;
  readonly registry: RunningRegistry;
  /** The token endpoint, http://127.0.0.1:PORT/auth */
  readonly realm: string;
  readonly service: string;
  stop(): Promise<void>;
}

/** `E2E_LOG=info` shows regauth's log while debugging a failing e2e test; otherwise it is only scanned for secrets. */
const logging = process.env.E2E_LOG === 'info' ? { logLevel: 'info' as const } : { logger: scannedLogger() };

export async function startAuthStack(opts: AuthStackOptions): Promise<AuthStack> {
  const server = await startServer({ configFile: opts.configFile, host: '127.0.0.1', port: await freePort(), ...logging });
  const realm = `${server.url}/auth`;
  let registry: RunningRegistry;
  try {
    registry = await startRegistry({ realm, service: opts.service, issuer: opts.issuer, rootCertBundlePath: opts.rootCertBundlePath });
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    server,
    registry,
    realm,
    service: opts.service,
    async stop() {
      await Promise.allSettled([registry.stop(), server.close()]);
    },
  };
}

export interface FetchedToken {
  /** HTTP status of the token endpoint. */
  readonly status: number;
  readonly token?: string;
}

/** GET <realm>?service=…&scope=… the way docker-style clients ask, with Basic when creds are given. */
export async function fetchToken(stack: AuthStack, scope: string, creds: Creds | null): Promise<FetchedToken> {
  const url = new URL(stack.realm);
  url.searchParams.set('service', stack.service);
  url.searchParams.set('scope', scope);
  const headers: Record<string, string> = creds ? { authorization: `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}` } : {};
  const res = await fetch(url, { headers });
  const body = (await res.json().catch(() => ({}))) as { token?: unknown };
  return { status: res.status, ...(typeof body.token === 'string' ? { token: body.token } : {}) };
}

/** A registry API call with a bearer token. */
export function registryGet(stack: AuthStack, path: string, token?: string): Promise<Response> {
  return fetch(`${stack.registry.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}
