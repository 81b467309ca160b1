import { Secret } from '../common/secret.js';
import { checkCredentials, parseAuthorization, type CredentialLimits } from './basic-auth.js';
import { parseError, type ParseError, type ParseErrorCode } from './parse-error.js';
import type { TokenRequest } from '../grant/token-request.types.js';
import { parseScopes } from './scope.js';

type Params = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface TokenRequestInput {
  readonly method: 'GET' | 'POST';
  /** Already decoded by the query parser (`+` is a space there). */
  readonly query: Params;
  /** The parsed form of a POST; ignored on GET. */
  readonly body?: Params | null;
  /** Every `Authorization` value: pass an array to have duplicates refused. */
  readonly authorization: string | readonly string[] | undefined;
  readonly limits?: CredentialLimits;
}

export type TokenRequestResult = { readonly ok: true; readonly request: TokenRequest } | ParseError;

type Credentials = Pick<TokenRequest, 'grant' | 'user' | 'password' | 'refreshToken'>;

const SINGLE_VALUED = ['service', 'account', 'client_id', 'offline_token', 'grant_type', 'access_type'];
/** Read from the POST form only; the query string never carries secrets we accept. */
const FORM_ONLY = ['username', 'password', 'refresh_token'];

const MESSAGES: Record<ParseErrorCode, string> = {
  duplicate_parameter: 'a parameter that takes one value was given several',
  multiple_authorization: 'more than one Authorization header',
  malformed_authorization: 'malformed Authorization header',
  unsupported_scheme: 'unsupported authorization scheme: use Basic',
  invalid_base64: 'Basic credentials are not valid base64',
  invalid_utf8: 'Basic credentials are not valid UTF-8',
  missing_colon: 'Basic credentials must be user:password',
  invalid_username: 'username contains control characters',
  username_too_long: 'username too long',
  password_too_long: 'password too long',
  invalid_password: 'password contains a line break or NUL',
  empty_credentials: 'authentication required: empty username or password',
  unsupported_grant_type: 'unsupported grant_type: use password or refresh_token',
  missing_refresh_token: 'grant_type=refresh_token requires a refresh_token',
  account_mismatch: 'account does not match the authenticated user',
  invalid_scope: 'invalid scope',
};

/**
 * Turns a GET or OAuth2 POST into one `TokenRequest`, or the reason it is refused before any
 * provider runs. POST form fields win over query parameters (c/image keeps the realm's query
 * string); credentials and refresh tokens are read from the form only, never from a URL that
 * proxies log.
 */
export function parseTokenRequest(input: TokenRequestInput): TokenRequestResult {
  const form = input.method === 'POST' ? (input.body ?? {}) : {};
  const duplicated = SINGLE_VALUED.find((key) => isRepeated(input.query[key]) || isRepeated(form[key])) ?? FORM_ONLY.find((key) => isRepeated(form[key]));
  if (duplicated) return fail('duplicate_parameter', `parameter "${duplicated}" must be given once`);
  const param = (key: string): string | undefined => first(form[key]) ?? first(input.query[key]);

  const grantType = nonEmpty(param('grant_type'));
  const credentials = input.method === 'GET' || grantType === undefined ? fromHeaderOrForm(input, form) : fromGrant(grantType, input, form);
  if ('ok' in credentials) return credentials;

  const account = nonEmpty(param('account'));
  if (account !== undefined && credentials.user !== undefined && account !== credentials.user) return fail('account_mismatch');

  const scopes = parseScopes(input.method === 'POST' && form.scope !== undefined ? all(form.scope) : all(input.query.scope));
  if (!scopes.ok) return fail('invalid_scope', scopes.error);

  const offline = param('offline_token')?.toLowerCase() === 'true' || (input.method === 'POST' && param('access_type') === 'offline');
  return {
    ok: true,
    request: {
      ...credentials,
      service: nonEmpty(param('service')),
      scopes: scopes.scopes,
      offline,
      clientId: nonEmpty(param('client_id')),
      account,
    },
  };
}

/**
 * GET, and POST without `grant_type`: Basic credentials, or none at all. docker_auth also reads
 * `username`/`password` from any POST form, so a form username counts as a password grant.
 */
function fromHeaderOrForm(input: TokenRequestInput, form: Params): Credentials | ParseError {
  if (input.method === 'POST' && form.username !== undefined) return fromForm(form, input.limits);
  const header = parseAuthorization(input.authorization, input.limits);
  if (header.kind === 'invalid') return fail(header.reason);
  if (header.kind === 'none') return { grant: 'anonymous' };
  return password(header.user, header.password, input.limits);
}

function fromGrant(grantType: string, input: TokenRequestInput, form: Params): Credentials | ParseError {
  if (grantType === 'password') {
    // With a form username, an Authorization header may be OAuth2 client authentication
    // (RFC 6749 §2.3.1) and is not ours to judge; without one, Basic carries the user (docker_auth).
    if (form.username !== undefined) return fromForm(form, input.limits);
    const header = parseAuthorization(input.authorization, input.limits);
    if (header.kind === 'invalid') return fail(header.reason);
    // A password grant without a password is a failed login, never an anonymous request.
    if (header.kind === 'none') return fail('empty_credentials');
    return password(header.user, header.password, input.limits);
  }
  if (grantType === 'refresh_token') {
    const token = first(form.refresh_token);
    if (!token) return fail('missing_refresh_token');
    return { grant: 'refresh_token', refreshToken: new Secret(token) };
  }
  return fail('unsupported_grant_type', `unsupported grant_type ${JSON.stringify(grantType.slice(0, 40))}: use password or refresh_token`);
}

function fromForm(form: Params, limits: CredentialLimits | undefined): Credentials | ParseError {
  return password(first(form.username) ?? '', new Secret(first(form.password) ?? ''), limits);
}

/** Security rules 2 and 3 for both Basic and form credentials. */
function password(user: string, secret: Secret, limits: CredentialLimits | undefined): Credentials | ParseError {
  if (user === '' || secret.isEmpty) return fail('empty_credentials');
  const problem = checkCredentials(user, secret, limits);
  if (problem) return fail(problem);
  return { grant: 'password', user, password: secret };
}

function fail(code: ParseErrorCode, message = MESSAGES[code]): ParseError {
  return parseError(code, message);
}

// The parsers upstream give strings and arrays of strings; anything else (a nested object from
// a lenient parser) is treated as absent rather than trusted.
function isRepeated(value: string | readonly string[] | undefined): boolean {
  return Array.isArray(value) && value.length > 1;
}

function first(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

function all(value: string | readonly string[] | undefined): readonly string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
