import type { AuthResult, Provider, RequestContext } from '../provider.js';
import type { Authorizer, AuthzDecision, ScopeRequest } from '../../authz/authorizer.js';
import type { Secret } from '../../common/secret.js';

/**
 * What a JS plugin module exports (see plugins/README.md). A module may export either factory
 * or both, as named exports or on its default export. Factories get the `options` map from the
 * config and may be async; they run once per config load, requests reuse the instance.
 */
export interface PluginModule {
  createProvider?: ProviderFactory;
  createAuthorizer?: AuthorizerFactory;
}

export interface PluginContext {
  /** The instance name from the config (`name`, else `plugin#<index>`). */
  readonly name: string;
  /** Folder of the config file, for resolving paths given in `options`. */
  readonly baseDir: string;
}

/** The instance a plugin returns; `name` is set by regauth. */
export type PluginProvider = Omit<Provider, 'name' | 'lookup'> & {
  authenticate(user: string, password: Secret, ctx: RequestContext): Promise<AuthResult>;
};
export type PluginAuthorizer = Omit<Authorizer, 'name'> & {
  authorize(req: ScopeRequest, ctx: RequestContext): Promise<AuthzDecision>;
};

export type ProviderFactory = (options: Record<string, unknown>, ctx: PluginContext) => PluginProvider | Promise<PluginProvider>;
export type AuthorizerFactory = (options: Record<string, unknown>, ctx: PluginContext) => PluginAuthorizer | Promise<PluginAuthorizer>;
