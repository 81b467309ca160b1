/**
 * Every way the directory can fail us. The provider throws these (the chain turns them into 503);
 * the message is for the log, so it names the server and the cause, never the user's password.
 * A wrong password is not among them: that is a `deny` answer, not a failure.
 */
export type LdapErrorCode =
  /** No TCP connection: refused, unreachable, name not found, connect timeout. */
  | 'connect_failed'
  /** TLS handshake failed, most often an untrusted or mismatched certificate. */
  | 'tls_failed'
  /** The server accepted the connection but did not answer an operation in time. */
  | 'timeout'
  /** The request's deadline passed while waiting for the directory. */
  | 'aborted'
  /** The connection closed under an operation (server restart, idle close, network). */
  | 'connection_lost'
  /** The service account (`bind_dn`) could not bind. */
  | 'service_bind_failed'
  /** A search answered with an LDAP error (bad base, insufficient access, ...). */
  | 'search_failed'
  /** The user search found more than one entry: the filter does not identify one account. */
  | 'ambiguous_account'
  /** The user bind failed with something other than invalid credentials. */
  | 'bind_failed'
  /** `account_attribute` is configured but the user's entry has no value for it. */
  | 'account_attribute_missing'
  /** The entry has several values of `account_attribute`, or one no account name may have. */
  | 'account_attribute_invalid'
  /** The user has more groups or label values than labels may hold: refused rather than cut. */
  | 'too_many_values';

export class LdapError extends Error {
  constructor(
    readonly code: LdapErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LdapError';
  }
}

/** LDAP result codes the provider reacts to (RFC 4511 appendix A). */
export const LDAP_RESULT = Object.freeze({
  noSuchObject: 32,
  invalidDnSyntax: 34,
  invalidCredentials: 49,
});

/** ldapts throws result-code errors as objects with a numeric `code`; sockets throw string codes. */
export function ldapResultCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const text = err.message.replace(/\s+/g, ' ').trim();
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
