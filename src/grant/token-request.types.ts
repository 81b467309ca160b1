import type { Secret } from '../common/secret.js';

/*
 * What the token endpoint was asked, after HTTP parsing (src/http) and before any backend runs:
 * the input contract of the grant service.
 */

/**
 * One requested resource, after merging every piece that names the same (type, name).
 * `valid: false` means "grant nothing, still answer 200": the registry decides what to refuse,
 * and every Go client treats an error from the token server as fatal (docs/protocol.md item 47).
 */
export interface RequestedScope {
  /** Without class: `repository(plugin)` is `repository`; the registry ignores classes. */
  readonly type: string;
  /** Byte for byte as requested: the registry matches names exactly (docs/protocol.md item 40). */
  readonly name: string;
  /** The pieces that were merged into this entry, as sent, without repeats. */
  readonly raw: string[];
  /** Known actions only, de-duplicated, sorted. */
  readonly actions: string[];
  /** Requested actions outside `pull`, `push`, `delete`, `*`; dropped, for the caller to log. */
  readonly unknownActions: string[];
  readonly valid: boolean;
  readonly invalidReason?: string;
}

export interface TokenRequest {
  /** `anonymous` is "no credentials at all"; it is never the fallback for bad ones. */
  readonly grant: 'password' | 'refresh_token' | 'anonymous';
  readonly user?: string;
  readonly password?: Secret;
  readonly refreshToken?: Secret;
  /** undefined when missing or empty (ggcr sends `service=` when the challenge had none). */
  readonly service?: string;
  readonly scopes: RequestedScope[];
  /** A refresh token is asked for: `offline_token=true` (GET) or `access_type=offline` (POST). */
  readonly offline: boolean;
  readonly clientId?: string;
  /** The `account` parameter as sent; for the audit log only, never an identity. */
  readonly account?: string;
}
