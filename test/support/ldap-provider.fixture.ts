import { createLdapProvider, type LdapProvider } from '../../src/authn/ldap/ldap.provider.js';
import { ldapProviderSchema } from '../../src/authn/ldap/ldap.schema.js';
import type { AuthResult } from '../../src/authn/provider.js';
import type { RequestContext } from '../../src/common/request-context.js';
import { Secret } from '../../src/common/secret.js';
import { SERVICE_ACCOUNT, SUFFIX } from './slapd-directory.js';
import { requireSlapd, startSlapd, type RunningSlapd } from './slapd.js';
import { providerContext } from './provider-context.js';

/** LDAP providers built against one real slapd per test file, closed after every test. */

export const ctx = (timeoutMs = 10_000): RequestContext => ({ requestId: 'r1', ip: '127.0.0.1', service: 'registry', signal: AbortSignal.timeout(timeoutMs) });

export const allow = (labels: Record<string, string[]> = {}, account?: string): AuthResult =>
  account === undefined ? { kind: 'allow', labels } : { kind: 'allow', labels, account };

/** The login filter of the test directory's people, by uid. */
export const USER_FILTER = '(&(uid=${account})(objectClass=inetOrgPerson))';

export interface LdapProviderFixtureOptions {
  /** The login filter of every provider the file builds, unless a test overrides it; USER_FILTER by default. */
  readonly filter?: string;
  /** Runs after each test, before its providers are closed (e.g. brings a stopped slapd back). */
  readonly afterEach?: (slapd: RunningSlapd) => Promise<void>;
}

export interface LdapProviderFixture {
  readonly slapd: RunningSlapd;
  /** What the providers built in the current test warned about at start. */
  readonly warnings: readonly string[];
  /** A provider for the service account on slapd's ldap:// URL, with `overrides` on top. */
  readonly buildSut: (overrides?: Record<string, unknown>) => Promise<LdapProvider>;
  readonly login: (sut: LdapProvider, user: string, password: string, timeoutMs?: number) => Promise<AuthResult>;
}

export function useLdapProviders(options: LdapProviderFixtureOptions = {}): LdapProviderFixture {
  let slapd: RunningSlapd;
  const providers: LdapProvider[] = [];
  let warnings: string[] = [];

  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterEach(async () => {
    await options.afterEach?.(slapd);
    await Promise.all(providers.splice(0).map(async (p) => p.close?.()));
    warnings = [];
  });
  afterAll(() => slapd?.close());

  return {
    get slapd() {
      return slapd;
    },
    get warnings() {
      return warnings;
    },
    async buildSut(overrides = {}) {
      const config = ldapProviderSchema.parse({
        type: 'ldap',
        url: slapd.ldapUrl,
        bind_dn: SERVICE_ACCOUNT.dn,
        bind_password: SERVICE_ACCOUNT.password,
        base: SUFFIX,
        filter: options.filter ?? USER_FILTER,
        ...overrides,
      });
      const sut = await createLdapProvider(config, providerContext(slapd.dir, 'ldap', { warn: (m) => void warnings.push(m) }));
      providers.push(sut);
      return sut;
    },
    login: (sut, user, password, timeoutMs) => sut.authenticate(user, new Secret(password), ctx(timeoutMs)),
  };
}

/**
 * A top-level describe with the fixture for its tests; without slapd it is skipped, or fails in
 * CI (see requireBinaries).
 */
export function describeLdapProviders(title: string, fn: (ldap: LdapProviderFixture) => void, options: LdapProviderFixtureOptions = {}): void {
  requireSlapd().describeIf(title, () => fn(useLdapProviders(options)));
}
