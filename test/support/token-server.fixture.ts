import type { Logger } from '../../src/observability/logger.js';
import { registerSecret, scannedLogger } from './log-scan.js';
import { startServer, type RunningServer } from '../../src/server.js';

/**
 * regauth's real server for HTTP tests, with every log line kept so a test can look for
 * secrets in them (docs/security.md rule 22), and the requests clients send to the token endpoint.
 */

export const basic = (user: string, pw: string): string => {
  registerSecret(pw);
  return `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
};

/** The payload of a JWT, unverified: the tests that check signatures do so themselves. */
export const claimsOf = <T = Record<string, unknown>>(token: string): T => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as T;

/** A debug logger whose lines all land in `lines`, each scanned for secrets (log-scan.ts). */
export function capturingLogger(lines: string[]): Logger {
  return scannedLogger(lines);
}

export type FormFields = Record<string, string | string[]>;

export interface PostOptions {
  readonly auth?: string;
  readonly contentType?: string;
}

export interface LoggedServer {
  readonly server: RunningServer;
  /** Every line the server logged so far. */
  readonly logs: string[];
  /** GET /auth?<query>, with an Authorization header when `auth` is given. */
  readonly get: (query: string, auth?: string) => Promise<Response>;
  /** POST /auth with a form body; repeated fields for array values. */
  readonly post: (form: FormFields, opts?: PostOptions) => Promise<Response>;
}

export async function serveWithLogs(configFile: string): Promise<LoggedServer> {
  const logs: string[] = [];
  const server = await startServer({ configFile, host: '127.0.0.1', port: 0, logger: capturingLogger(logs) });
  return {
    server,
    logs,
    get: (query, auth) => fetch(`${server.url}/auth?${query}`, { headers: auth ? { authorization: auth } : {} }),
    post: (form, opts = {}) => {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const item of [v].flat()) body.append(k, item);
      return fetch(`${server.url}/auth`, {
        method: 'POST',
        headers: { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded', ...(opts.auth ? { authorization: opts.auth } : {}) },
        body: body.toString(),
      });
    },
  };
}
