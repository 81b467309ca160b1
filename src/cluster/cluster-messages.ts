import type { RegauthConfig } from '../config/config.schema.js';

/**
 * What the primary and its workers say to each other over the cluster IPC channel. Every message
 * of ours carries a `regauth` tag: prom-client's metrics aggregation and rate-limiter-flexible's
 * cluster store talk on the same channel with messages of their own.
 */

/** What the primary needs to watch the files a worker's config was built from. */
export interface BuiltConfig {
  readonly files: readonly string[];
  readonly filesSignature: string;
  readonly reload: RegauthConfig['reload'];
  readonly kid: string;
  readonly warnings: readonly string[];
}

export type ToWorker =
  | { readonly regauth: 'reload:prepare'; readonly id: number }
  | { readonly regauth: 'reload:commit'; readonly id: number }
  | { readonly regauth: 'reload:abort'; readonly id: number }
  | { readonly regauth: 'metrics:text'; readonly id: number; readonly text: string | null }
  | { readonly regauth: 'stop'; readonly signal: string };

export type FromWorker =
  | { readonly regauth: 'ready' }
  | { readonly regauth: 'reload:prepared'; readonly id: number; readonly built: BuiltConfig }
  | { readonly regauth: 'reload:refused'; readonly id: number; readonly problems: string }
  | { readonly regauth: 'reload:done'; readonly id: number }
  | { readonly regauth: 'metrics:get'; readonly id: number };

export function isOurs<T extends { readonly regauth: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { regauth?: unknown }).regauth === 'string';
}
