import type { z } from 'zod';
import { backendName, createFromTable, schemasOf, type BackendType } from '../common/backend-table.js';
import type { Provider, ProviderBuildContext } from './provider.js';
import { staticProviderSchema } from './static/static.schema.js';
import { createStaticProvider } from './static/static.provider.js';
import { commandProviderSchema } from '../backends/command/command.schema.js';
import { createCommandProvider } from '../backends/command/command.provider.js';
import { httpProviderSchema } from '../backends/http/http.schema.js';
import { pluginProviderSchema } from '../backends/plugin/plugin.schema.js';
import { createPluginProvider } from '../backends/plugin/plugin.provider.js';
import { ldapProviderSchema } from './ldap/ldap.schema.js';
import { createLdapProvider } from './ldap/ldap.provider.js';
import { oidcProviderSchema } from './oidc/oidc.schema.js';

function providerType<S extends z.ZodType>(t: BackendType<S, ProviderBuildContext, Provider>): BackendType<S, ProviderBuildContext, Provider> {
  return t;
}

/**
 * The one table of authentication backends: `type` → schema and factory. The config schema is
 * the discriminated union of these schemas, so an unknown `type` is an error listing the known
 * ones, and each backend validates its own keys.
 */
export const PROVIDER_TYPES = {
  static: providerType({ schema: staticProviderSchema, create: createStaticProvider }),
  command: providerType({ schema: commandProviderSchema, create: createCommandProvider }),
  // Loaded only when configured: the HTTP client (axios) is 20 MiB of memory nobody else needs.
  http: providerType({
    schema: httpProviderSchema,
    create: async (config, ctx) => (await import('../backends/http/http.provider.js')).createHttpProvider(config, ctx),
  }),
  plugin: providerType({ schema: pluginProviderSchema, create: createPluginProvider }),
  ldap: providerType({ schema: ldapProviderSchema, create: createLdapProvider }),
  // Loaded only when configured, like http: it brings axios and the key handling.
  oidc: providerType({
    schema: oidcProviderSchema,
    create: async (config, ctx) => (await import('./oidc/oidc.provider.js')).createOidcProvider(config, ctx),
  }),
} as const;

export type ProviderTypeName = keyof typeof PROVIDER_TYPES;
export type ProviderConfig = z.output<(typeof PROVIDER_TYPES)[ProviderTypeName]['schema']>;

export const providerSchemas = schemasOf(PROVIDER_TYPES);

export const providerName: (config: ProviderConfig, index: number) => string = backendName;

export function createProvider(config: ProviderConfig, ctx: ProviderBuildContext): Promise<Provider> {
  return createFromTable(PROVIDER_TYPES, config, ctx);
}
