import type { ProviderBuildContext } from '../../src/authn/provider.js';
import type { BackendBuildContext } from '../../src/common/build-context.js';
import { ConcurrencyLimiter } from '../../src/common/concurrency-limiter.js';

/** What a snapshot gives a provider factory, for tests that build one provider on its own. */
export function providerContext(baseDir: string, name: string, extra: Partial<ProviderBuildContext> = {}): ProviderBuildContext {
  return { ...authorizerContext(baseDir, name), passwordHashing: new ConcurrencyLimiter({ concurrency: 2, queue: 64, name: 'password hashing' }), ...extra };
}

/** What a snapshot gives an authorizer factory; the files a backend declares are ignored. */
export function authorizerContext(baseDir: string, name: string): BackendBuildContext {
  return { baseDir, name, uses: () => undefined };
}
