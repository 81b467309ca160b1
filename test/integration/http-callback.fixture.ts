import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpProviderSchema } from '../../src/backends/http/http.schema.js';
import { createHttpProvider } from '../../src/backends/http/http.provider.js';
import type { Provider } from '../../src/authn/provider.js';
import type { RequestContext } from '../../src/common/request-context.js';
import { startCallbackServer, type CallbackServer } from '../support/callback-server.js';
import { providerContext } from '../support/provider-context.js';

/** A scripted callback service on loopback and the HTTP providers and authorizers that call it. */

export const password = 'callback pw: s3cret';
export const ctx = (signal = new AbortController().signal): RequestContext => ({ requestId: 'r1', ip: '10.0.0.9', service: 'registry', signal });

export interface CallbackFixture {
  readonly server: CallbackServer;
  /** Temporary config folder of everything built. */
  readonly dir: string;
  /** Providers and authorizers to close after the file's tests. */
  readonly built: { close?: () => Promise<void> }[];
  /** A provider calling `<server>/authn`, with `config` on top. */
  readonly buildSut: (config: Record<string, unknown>) => Promise<Provider>;
}

export function useCallbackServer(): CallbackFixture {
  let dir: string;
  let server: CallbackServer;
  const built: { close?: () => Promise<void> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-callback-'));
    server = await startCallbackServer();
  });
  afterAll(async () => {
    await Promise.all(built.map(async (b) => b.close?.()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    get server() {
      return server;
    },
    get dir() {
      return dir;
    },
    built,
    async buildSut(config) {
      const sut = await createHttpProvider(httpProviderSchema.parse({ type: 'http', url: `${server.url}/authn`, ...config }), providerContext(dir, 'callback'));
      built.push(sut);
      return sut;
    },
  };
}
