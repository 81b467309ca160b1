import type { z } from 'zod';
import { backendName, createFromTable, schemasOf, type BackendType } from '../common/backend-table.js';
import type { Authorizer, AuthorizerBuildContext } from './authorizer.js';
import { commandAuthorizerSchema } from '../backends/command/command-authorizer.schema.js';
import { createCommandAuthorizer } from '../backends/command/command.authorizer.js';
import { httpAuthorizerSchema } from '../backends/http/http-authorizer.schema.js';
import { pluginAuthorizerSchema } from '../backends/plugin/plugin-authorizer.schema.js';
import { createPluginAuthorizer } from '../backends/plugin/plugin.authorizer.js';

function authorizerType<S extends z.ZodType>(t: BackendType<S, AuthorizerBuildContext, Authorizer>): BackendType<S, AuthorizerBuildContext, Authorizer> {
  return t;
}

/**
 * The table of authorization backends consulted after the ACL (`authz:` in the config), built
 * like the provider table: the config schema is the discriminated union of these schemas.
 */
export const AUTHORIZER_TYPES = {
  command: authorizerType({ schema: commandAuthorizerSchema, create: createCommandAuthorizer }),
  // Loaded only when configured, like the http provider (see provider-registry.ts).
  http: authorizerType({
    schema: httpAuthorizerSchema,
    create: async (config, ctx) => (await import('../backends/http/http.authorizer.js')).createHttpAuthorizer(config, ctx),
  }),
  plugin: authorizerType({ schema: pluginAuthorizerSchema, create: createPluginAuthorizer }),
} as const;

export type AuthorizerTypeName = keyof typeof AUTHORIZER_TYPES;
export type AuthorizerConfig = z.output<(typeof AUTHORIZER_TYPES)[AuthorizerTypeName]['schema']>;

export const authorizerSchemas = schemasOf(AUTHORIZER_TYPES);

export const authorizerName: (config: AuthorizerConfig, index: number) => string = backendName;

export function createAuthorizer(config: AuthorizerConfig, ctx: AuthorizerBuildContext): Promise<Authorizer> {
  return createFromTable(AUTHORIZER_TYPES, config, ctx);
}
