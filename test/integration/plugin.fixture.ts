import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pluginProviderSchema } from '../../src/backends/plugin/plugin.schema.js';
import { createPluginProvider } from '../../src/backends/plugin/plugin.provider.js';
import type { Provider } from '../../src/authn/provider.js';
import type { RequestContext } from '../../src/common/request-context.js';
import type { Authorizer, ScopeRequest } from '../../src/authz/authorizer.js';
import { pluginAuthorizerSchema } from '../../src/backends/plugin/plugin-authorizer.schema.js';
import { createPluginAuthorizer } from '../../src/backends/plugin/plugin.authorizer.js';
import { toLabels } from '../../src/common/labels.js';
import { authorizerContext, providerContext } from '../support/provider-context.js';

/** JS plugin modules written into a work folder, loaded as providers and authorizers. */

export const EXAMPLE = fileURLToPath(new URL('../../plugins/example-plugin.mjs', import.meta.url));
export const ROBOT_TOKEN = 'robot-deploy-token-123';
export const ctx = (): RequestContext => ({ requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal: new AbortController().signal });
export const pullPush: ScopeRequest = {
  account: 'alice',
  type: 'repository',
  name: 'public/base',
  service: 'registry',
  ip: null,
  labels: toLabels({}),
  actions: ['pull', 'push'],
};

export interface PluginWork {
  /** Temporary folder, the plugins' config folder; removed after the file's tests. */
  readonly dir: string;
  /** Writes an ES module into the work folder and returns its file name. */
  readonly writeModule: (source: string) => string;
  readonly provider: (config: Record<string, unknown>) => Promise<Provider>;
  readonly authorizer: (config: Record<string, unknown>) => Promise<Authorizer>;
}

export function usePluginWork(): PluginWork {
  let dir: string;
  let moduleCount = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-plugin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  return {
    get dir() {
      return dir;
    },
    writeModule: (source) => {
      const name = `plugin-${++moduleCount}.mjs`;
      writeFileSync(join(dir, name), source);
      return name;
    },
    provider: (config) => createPluginProvider(pluginProviderSchema.parse({ type: 'plugin', ...config }), providerContext(dir, 'plug')),
    authorizer: (config) => createPluginAuthorizer(pluginAuthorizerSchema.parse({ type: 'plugin', ...config }), authorizerContext(dir, 'plug-authz')),
  };
}
