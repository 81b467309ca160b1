import { LabelError, toLabels } from '../../common/labels.js';
import type { Secret } from '../../common/secret.js';
import type { AuthResult, Provider, ProviderBuildContext } from '../../authn/provider.js';
import type { RequestContext } from '../../common/request-context.js';
import { PluginError } from './plugin-error.js';
import { instantiatePlugin } from './plugin-loader.js';
import type { PluginProviderConfig } from './plugin.schema.js';

/**
 * A provider written in JS: the module's `createProvider(options, context)` returns an object
 * with `authenticate(user, password, ctx)`. Its answers are checked like any outside input: a
 * result outside the contract fails the request closed, labels go through toLabels.
 */
export async function createPluginProvider(config: PluginProviderConfig, ctx: ProviderBuildContext): Promise<Provider> {
  const spec = config.module;
  const { instance, call, close } = await instantiatePlugin(config, ctx, 'createProvider', 'authenticate', 'an authenticate(user, password, ctx)');
  return {
    name: ctx.name,
    async authenticate(user: string, password: Secret, req: RequestContext): Promise<AuthResult> {
      const result = await call(req.signal, async (signal) => instance.authenticate(user, password, { ...req, signal }));
      return checkResult(result, spec);
    },
    ...(close ? { close } : {}),
  };
}

function checkResult(result: unknown, spec: string): AuthResult {
  const kind = (result as { kind?: unknown } | null)?.kind;
  if (kind === 'deny' || kind === 'no_match') return { kind };
  if (kind === 'allow') {
    const { labels: raw, account } = result as { labels?: unknown; account?: unknown };
    let labels;
    try {
      labels = toLabels(raw);
    } catch (err) {
      if (err instanceof LabelError) throw new PluginError('bad_result', spec, `authenticate() returned labels that are refused: ${err.message}`);
      throw err;
    }
    if (account === undefined) return { kind, labels };
    if (typeof account === 'string' && account.length > 0 && account.length <= 256 && !/\p{Cc}/u.test(account)) {
      return { kind, labels, account };
    }
    throw new PluginError('bad_result', spec, 'authenticate() returned an invalid account');
  }
  throw new PluginError('bad_result', spec, 'authenticate() must resolve to {kind: "allow" | "deny" | "no_match"}');
}
