import type { z } from 'zod';
import type { Authorizer, AuthorizerBuildContext } from './authorizer.js';
import { commandAuthorizerSchema } from './command/command-authorizer.schema.js';
import { createCommandAuthorizer } from './command/command.authorizer.js';
import { httpAuthorizerSchema } from './http/http-authorizer.schema.js';
import { createHttpAuthorizer } from './http/http.authorizer.js';
import { pluginAuthorizerSchema } from './plugin/plugin-authorizer.schema.js';
import { createPluginAuthorizer } from './plugin/plugin.authorizer.js';

interface AuthorizerType<S extends z.ZodType> {
  readonly schema: S;
  readonly create: (config: z.output<S>, ctx: AuthorizerBuildContext) => Promise<Authorizer>;
}

function authorizerType<S extends z.ZodType>(t: AuthorizerType<S>): AuthorizerType<S> {
  return t;
}

/**
 * The table of authorization backends consulted after the ACL (`authz:` in the config), built
 * like the provider table: the config schema is the discriminated union of these schemas.
 */
export const AUTHORIZER_TYPES = {
  command: authorizerType({ schema: commandAuthorizerSchema, create: createCommandAuthorizer }),
  http: authorizerType({ schema: httpAuthorizerSchema, create: createHttpAuthorizer }),
  plugin: authorizerType({ schema: pluginAuthorizerSchema, create: createPluginAuthorizer }),
} as const;

export type AuthorizerTypeName = keyof typeof AUTHORIZER_TYPES;
export type AuthorizerConfig = z.output<(typeof AUTHORIZER_TYPES)[AuthorizerTypeName]['schema']>;

export const authorizerSchemas = Object.values(AUTHORIZER_TYPES).map((t) => t.schema) as [
  (typeof AUTHORIZER_TYPES)[AuthorizerTypeName]['schema'],
  ...(typeof AUTHORIZER_TYPES)[AuthorizerTypeName]['schema'][],
];

export function authorizerName(config: AuthorizerConfig, index: number): string {
  return config.name ?? `${config.type}#${index}`;
}

export async function createAuthorizer(config: AuthorizerConfig, ctx: AuthorizerBuildContext): Promise<Authorizer> {
  const type = AUTHORIZER_TYPES[config.type as AuthorizerTypeName];
  return type.create(config as never, ctx);
}
