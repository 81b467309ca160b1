import { hasJwtShape, MAX_ID_TOKEN_BYTES } from '../common/jwt-shape.js';
import { Secret } from '../common/secret.js';
import type { ParseErrorCode } from './parse-error.js';

/** Security rule 3: refused before any provider runs, whatever the credentials' source. */
export const MAX_USERNAME_BYTES = 256;
export const MAX_PASSWORD_BYTES = 1024;

export type AuthorizationHeader =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly user: string; readonly password: Secret }
  | { readonly kind: 'invalid'; readonly reason: ParseErrorCode };

export type CredentialErrorCode = Extract<ParseErrorCode, 'invalid_username' | 'username_too_long' | 'password_too_long' | 'invalid_password'>;

// RFC 9110 §11: `auth-scheme [ 1*SP token68 ]`; the scheme is a token.
const CREDENTIALS_FORMAT = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/s;
const SURROUNDING_WHITESPACE = /^[ \t]+|[ \t]+$/g;
const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * Line breaks and NUL end a password for many backends: an ext_auth script reading `user pass` with
 * `read` would see only the part before a newline (docs/security.md rule 3). No real password
 * holds them, so they are refused before any backend sees the password.
 */
const PASSWORD_BREAK = /[\r\n\0]/;
// fatal: bad UTF-8 is an error, never U+FFFD; ignoreBOM: a leading BOM stays part of the user.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads the `Authorization` header (docs/security.md rule 4). Several headers, a malformed value and any
 * scheme but Basic are `invalid`, never `none`: garbled credentials must not turn into an
 * anonymous request. Node keeps only the first of duplicate `authorization` headers in
 * `req.headers`, so a caller that wants the "one header" rule enforced passes every value it
 * finds in `rawHeaders`.
 */
export function parseAuthorization(header: string | readonly string[] | undefined, limits: CredentialLimits = {}): AuthorizationHeader {
  if (header === undefined) return { kind: 'none' };
  if (typeof header !== 'string') {
    if (header.length === 0) return { kind: 'none' };
    if (header.length > 1) return invalid('multiple_authorization');
    return parseAuthorization(header[0], limits);
  }
  const match = CREDENTIALS_FORMAT.exec(header.replace(SURROUNDING_WHITESPACE, ''));
  if (!match) return invalid('malformed_authorization');
  if (match[1].toLowerCase() !== 'basic') return invalid('unsupported_scheme');
  const encoded = match[2];
  if (!encoded) return invalid('malformed_authorization');

  const bytes = decodeStrictBase64(encoded);
  if (!bytes) return invalid('invalid_base64');
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    return invalid('invalid_utf8');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return invalid('missing_colon');
  const user = decoded.slice(0, colon);
  const password = new Secret(decoded.slice(colon + 1));
  const problem = checkCredentials(user, password, limits);
  return problem ? invalid(problem) : { kind: 'basic', user, password };
}

export interface CredentialLimits {
  /**
   * An oidc provider is configured: a password shaped like a JWT may be an id token, and real
   * ones are longer than any password (up to MAX_ID_TOKEN_BYTES instead of MAX_PASSWORD_BYTES).
   */
  readonly idTokens?: boolean;
}

/** The caps and character rules every username/password pair must pass, Basic or form. */
export function checkCredentials(user: string, password: Secret, limits: CredentialLimits = {}): CredentialErrorCode | undefined {
  if (Buffer.byteLength(user, 'utf8') > MAX_USERNAME_BYTES) return 'username_too_long';
  if (CONTROL_CHARACTER.test(user)) return 'invalid_username';
  if (password.byteLength > MAX_PASSWORD_BYTES && !(limits.idTokens && password.byteLength <= MAX_ID_TOKEN_BYTES && hasJwtShape(password.reveal()))) {
    return 'password_too_long';
  }
  if (PASSWORD_BREAK.test(password.reveal())) return 'invalid_password';
  return undefined;
}

/**
 * Node's base64 decoder skips whitespace and unknown characters, accepts the URL alphabet and
 * missing padding, and ignores non-zero trailing bits. Accepting only the canonical encoding of
 * what was decoded rejects all of those at once.
 */
function decodeStrictBase64(encoded: string): Buffer | undefined {
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.toString('base64') === encoded ? bytes : undefined;
}

function invalid(reason: ParseErrorCode): AuthorizationHeader {
  return { kind: 'invalid', reason };
}
