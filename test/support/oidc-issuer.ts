import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * A real OIDC issuer on a loopback port, as CI platforms run one: discovery at
 * /.well-known/openid-configuration, keys at /jwks, tokens minted with jose. Tests rotate its
 * keys, take it down, slow it down and count what regauth fetched.
 */

export interface IssuedKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export interface LocalIssuer {
  /** http://127.0.0.1:PORT: the `iss` of its tokens. */
  readonly url: string;
  /** Fetches of /jwks so far. */
  readonly jwksFetches: number;
  /** Signs `claims` (iss, iat, exp filled unless given) with the current key, or `key`. */
  mint(claims: JWTPayload, opts?: { key?: IssuedKey; header?: Record<string, unknown>; lifetimeSeconds?: number }): Promise<string>;
  /** A new current key, published alongside (or instead of) the old ones. */
  rotate(opts?: { keepOld?: boolean; alg?: 'RS256' | 'ES256' }): Promise<IssuedKey>;
  readonly currentKey: IssuedKey;
  /** Answers the key fetch after this many ms (0: at once). */
  delayJwks(ms: number): void;
  /** Cache-Control sent with the keys. */
  cacheControl(value: string | undefined): void;
  /** Stops answering: connections are refused until start() again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

let counter = 0;

export async function newKey(alg: 'RS256' | 'ES256' = 'ES256'): Promise<IssuedKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `key-${++counter}`;
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export async function startIssuer(opts: { discoveryIssuer?: (url: string) => string } = {}): Promise<LocalIssuer> {
  let keys: IssuedKey[] = [await newKey()];
  let fetches = 0;
  let delay = 0;
  let cache: string | undefined;
  let server: Server | undefined;
  let port = 0;
  let url = '';

  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ issuer: opts.discoveryIssuer?.(url) ?? url, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] }),
      );
      return;
    }
    if (req.url === '/jwks') {
      fetches++;
      const answer = (): void => {
        res.setHeader('content-type', 'application/json');
        if (cache) res.setHeader('cache-control', cache);
        res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
      return;
    }
    res.statusCode = 404;
    res.end();
  };

  const start = async (): Promise<void> => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
  };
  const stop = async (): Promise<void> => {
    if (!server) return;
    const s = server;
    server = undefined;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  };
  await start();
  running.add(stop);

  return {
    get url() {
      return url;
    },
    get jwksFetches() {
      return fetches;
    },
    get currentKey() {
      return keys[keys.length - 1];
    },
    async mint(claims, { key, header, lifetimeSeconds = 300 } = {}) {
      const k = key ?? keys[keys.length - 1];
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: url, iat: now, exp: now + lifetimeSeconds, ...claims })
        .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT', ...header })
        .sign(k.privateKey);
    },
    async rotate({ keepOld = false, alg = 'ES256' } = {}) {
      const key = await newKey(alg);
      keys = keepOld ? [...keys, key] : [key];
      return key;
    },
    delayJwks: (ms) => (delay = ms),
    cacheControl: (value) => (cache = value),
    stop,
    start,
  };
}

const running = new Set<() => Promise<void>>();
afterAll(async () => {
  await Promise.all([...running].map((stop) => stop()));
});
