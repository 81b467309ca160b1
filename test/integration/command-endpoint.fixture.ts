import bcrypt from 'bcrypt';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../src/server.js';
import { useCommandWork, type CommandWork } from '../support/command-work.fixture.js';
import { capturingLogger, claimsOf as tokenClaims } from '../support/token-server.fixture.js';

/** Servers with command providers and authorizers, for the command-endpoint specs. */

export const PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
export const CICD_SECRET = 'ci-shared-secret with spaces';
export const ADMIN_PASSWORD = 'admin-endpoint-pw';
export const DEV_PASSWORD = 'dev-endpoint-pw';
/** Every password and secret the command-endpoint specs send: none may reach a log line. */
export const SENT_SECRETS = [CICD_SECRET, ADMIN_PASSWORD, DEV_PASSWORD, 'wrong-secret', 'garbage-pw', 'admin-dev-password'];

type Access = { type: string; name: string; actions: string[] }[];
export const claimsOf = (token: string): { access: Access } => tokenClaims<{ access: Access }>(token);

export const token = (server: RunningServer, query: string, auth?: string): Promise<Response> =>
  fetch(`${server.url}/auth?service=registry&${query}`, { headers: auth ? { authorization: auth } : {} });

export const nativeConfig = (authn: string, extra = ''): string => `
token: { issuer: it, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
services: [registry]
authn:
  - type: static
    users:
      admin: { password: "${bcrypt.hashSync(ADMIN_PASSWORD, 4)}" }
${authn}
acl:
  - { match: { account: admin }, actions: ["*"] }
  - { match: { labels: { group: CICD } }, actions: [pull, push] }
  - { match: { account: "/.+/" }, actions: [pull] }
${extra}`;

export interface CommandEndpoint extends CommandWork {
  /** Every line the file's servers logged, all servers together. */
  readonly logLines: string[];
  /** Starts a server on `configFile`, logging into logLines; closed after the file's tests. */
  readonly startServerLogged: (configFile: string) => Promise<RunningServer>;
  /** Writes `yaml` as config.yml into a new folder named after `name` and starts a server on it. */
  readonly startWith: (name: string, yaml: string) => Promise<RunningServer>;
}

/**
 * Sets CICD_SECRET for the commands, and after the file's tests closes its servers and checks
 * that none of SENT_SECRETS reached their log.
 */
export function useCommandEndpoint(): CommandEndpoint {
  const logLines: string[] = [];
  const servers: RunningServer[] = [];

  // Registered before the work folder's hooks, so the servers close before it is removed.
  beforeAll(() => {
    process.env.CICD_SECRET = CICD_SECRET;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    delete process.env.CICD_SECRET;
    for (const secret of SENT_SECRETS) expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
  });
  const work = useCommandWork('regauth-cmd-endpoint-');

  const startServerLogged = async (configFile: string): Promise<RunningServer> => {
    const server = await startServer({ configFile, host: '127.0.0.1', port: 0, logger: capturingLogger(logLines) });
    servers.push(server);
    return server;
  };
  return {
    pids: work.pids,
    get dir() {
      return work.dir;
    },
    logLines,
    startServerLogged,
    startWith: async (name, yaml) => {
      const dir = mkdtempSync(join(work.dir, `${name}-`));
      writeFileSync(join(dir, 'config.yml'), yaml);
      return startServerLogged(join(dir, 'config.yml'));
    },
  };
}
