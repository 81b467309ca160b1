import { performance } from 'node:perf_hooks';
import { beforeDeadline } from '../common/deadline.js';
import type { Labels } from '../common/labels.js';
import type { Secret } from '../common/secret.js';
import type { Provider } from './provider.js';
import { secondsSince, type RequestContext } from '../common/request-context.js';

export type ChainResult =
  | {
      readonly kind: 'allow';
      readonly provider: string;
      readonly account: string;
      readonly labels: Labels;
      readonly credential?: string;
      readonly validUntil?: number;
      readonly refresh?: 'never' | 'carry-labels';
    }
  | { readonly kind: 'deny'; readonly provider: string; readonly reason?: string }
  | { readonly kind: 'no_match' };

/**
 * A backend failed (timeout, outage, bad output). The message is for logs, never for clients;
 * a backend may echo what it was given (a plugin's error text, a server's reply), so the
 * password is masked out of it here, once, for every provider.
 */
export class ProviderFailure extends Error {
  constructor(
    readonly provider: string,
    override readonly cause: unknown,
    password?: Secret,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const secret = password?.reveal() ?? '';
    super(`provider ${provider} failed: ${secret ? detail.split(secret).join('***') : detail}`);
    this.name = 'ProviderFailure';
  }
}

/**
 * Asks providers in order. allow stops with the identity; deny stops (wrong password for a user
 * this backend owns); no_match moves on. A thrown error stops the chain too — failing closed,
 * since skipping a broken backend could let a later, weaker one decide.
 */
export async function authenticate(providers: readonly Provider[], user: string, password: Secret, ctx: RequestContext): Promise<ChainResult> {
  for (const provider of providers) {
    let result;
    const started = performance.now();
    try {
      ctx.signal.throwIfAborted();
      result = await beforeDeadline(provider.authenticate(user, password, ctx), ctx.signal);
    } catch (err) {
      ctx.trace?.call('provider', provider.name, 'error', secondsSince(started));
      throw new ProviderFailure(provider.name, err, password);
    }
    ctx.trace?.call('provider', provider.name, result.kind, secondsSince(started));
    if (result.kind === 'allow') {
      const { labels, credential, validUntil, refresh } = result;
      return { kind: 'allow', provider: provider.name, account: result.account ?? user, labels, credential, validUntil, refresh };
    }
    if (result.kind === 'deny') return { kind: 'deny', provider: provider.name, reason: result.reason };
  }
  return { kind: 'no_match' };
}

/**
 * For refresh grants: the provider that issued the refresh token says whether the account still
 * exists and what its labels are now. `unknown` when that provider cannot look users up.
 */
export async function lookup(
  providers: readonly Provider[],
  providerName: string,
  account: string,
  ctx: RequestContext,
): Promise<ChainResult | { readonly kind: 'unknown' }> {
  const provider = providers.find((p) => p.name === providerName);
  if (!provider) return { kind: 'no_match' };
  if (!provider.lookup) return { kind: 'unknown' };
  let result;
  const started = performance.now();
  try {
    result = await beforeDeadline(provider.lookup(account, ctx), ctx.signal);
  } catch (err) {
    ctx.trace?.call('provider', provider.name, 'error', secondsSince(started));
    throw new ProviderFailure(provider.name, err);
  }
  ctx.trace?.call('provider', provider.name, result.kind, secondsSince(started));
  if (result.kind === 'allow') {
    return { kind: 'allow', provider: provider.name, account: result.account ?? account, labels: result.labels, credential: result.credential };
  }
  if (result.kind === 'unknown') return result;
  return result.kind === 'deny' ? { kind: 'deny', provider: provider.name } : { kind: 'no_match' };
}
