/**
 * Why a token request was refused before any provider ran. Parsing names the reason only; the
 * HTTP answer for each code is in refusal-table.ts.
 */
export type ParseErrorCode =
  /** A single-valued parameter (`service`, `account`, …) appeared more than once. */
  | 'duplicate_parameter'
  /** More than one `Authorization` header. */
  | 'multiple_authorization'
  /** `Authorization` is not `<scheme> <credentials>`, or `Basic` without credentials. */
  | 'malformed_authorization'
  /** `Authorization` uses a scheme other than Basic (e.g. Bearer). */
  | 'unsupported_scheme'
  /** Basic credentials are not canonical standard base64. */
  | 'invalid_base64'
  /** Decoded Basic credentials are not valid UTF-8. */
  | 'invalid_utf8'
  /** Decoded Basic credentials have no `:` between user and password. */
  | 'missing_colon'
  /** Username contains control characters (NUL included). */
  | 'invalid_username'
  | 'username_too_long'
  | 'password_too_long'
  /** The password holds CR, LF or NUL: a failed login (401), before any provider runs. */
  | 'invalid_password'
  | 'empty_credentials'
  | 'unsupported_grant_type'
  /** `grant_type=refresh_token` without a `refresh_token` field. */
  | 'missing_refresh_token'
  /** `account` names someone other than the authenticating user. */
  | 'account_mismatch'
  /** A scope piece cannot be parsed, or the scope caps are exceeded. */
  | 'invalid_scope';

export interface ParseError {
  readonly ok: false;
  readonly code: ParseErrorCode;
  readonly message: string;
}

export function parseError(code: ParseErrorCode, message: string): ParseError {
  return { ok: false, code, message };
}
