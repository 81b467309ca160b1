import { createCommandProvider } from '../../src/backends/command/command.provider.js';
import { commandProviderSchema } from '../../src/backends/command/command.schema.js';
import type { Provider } from '../../src/authn/provider.js';
import type { RequestContext } from '../../src/common/request-context.js';
import { commandConfig, useCommandWork, type CommandWork } from '../support/command-work.fixture.js';
import { providerContext } from '../support/provider-context.js';

/** Command providers (docker_auth's ext_auth) on the test scripts, for the command-provider specs. */

export const alicePassword = 'correct horse battery';
export const ctx = (signal = new AbortController().signal): RequestContext => ({ requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal });

export interface CommandProviders extends CommandWork {
  /** A provider from `config` on top of the command defaults, relative to the work folder. */
  readonly buildSut: (config: Record<string, unknown>) => Promise<Provider>;
}

export function useCommandProviders(): CommandProviders {
  const work = useCommandWork('regauth-command-');
  return {
    pids: work.pids,
    get dir() {
      return work.dir;
    },
    buildSut: (config) => createCommandProvider(commandProviderSchema.parse(commandConfig(config)), providerContext(work.dir, 'ext')),
  };
}
