import type { FastifyReply } from 'fastify';
import type { GrantRefusalCode } from '../grant/token-grant.service.js';
import type { ParseErrorCode } from './parse-error.js';

/** Refusals that come from the HTTP layer itself: the framework's routing and body parsing. */
export type HttpRefusalCode =
  | 'not_form'
  /** A trusted proxy (or a docker_auth real_ip_header) gave a client address that is not one. */
  | 'invalid_client_address'
  | 'malformed'
  | 'not_found'
  | 'method_not_allowed'
  | 'too_large'
  | 'unsupported_media_type'
  | 'internal';

/** Every way the token endpoint (and the app around it) says no. */
export type RefusalCode = ParseErrorCode | GrantRefusalCode | HttpRefusalCode;

export interface Refusal {
  readonly code: RefusalCode;
  /** Shown to the client unless the table fixes the message for this code. */
  readonly message?: string;
  /** Overrides the table's Retry-After, when the refusal knows when a retry can succeed. */
  readonly retryAfter?: number;
}

interface Answer {
  readonly status: number;
  /** distribution's errcode, which docker prints as "<code>: <message>". */
  readonly errcode: 'INVALID_REQUEST' | 'UNSUPPORTED' | 'UNAUTHORIZED' | 'TOOMANYREQUESTS' | 'NOT_FOUND' | 'INTERNAL' | 'UNAVAILABLE';
  /** A fixed text: the answer must not depend on the cause (no backend errors, DNs or stacks). */
  readonly message?: string;
  /** 401: ask for Basic credentials in the issuer's realm. */
  readonly challenge?: true;
  /** Seconds a client should wait before retrying. */
  readonly retryAfter?: number;
  /** The RFC 6749 `error` field, for OAuth2 clients. */
  readonly oauthError?: string;
  readonly allow?: string;
}

const BAD_REQUEST: Answer = { status: 400, errcode: 'INVALID_REQUEST' };
const UNAUTHORIZED: Answer = {
  status: 401,
  errcode: 'UNAUTHORIZED',
  message: 'authentication required: invalid username or password',
  challenge: true,
};

/**
 * The one place that turns a refusal into HTTP. Bodies follow distribution's errcode shape plus a
 * top-level `details` string, which docker reads first. See docs/protocol.md for what clients do
 * with each status.
 */
const TABLE: Readonly<Record<RefusalCode, Answer>> = {
  duplicate_parameter: BAD_REQUEST,
  multiple_authorization: BAD_REQUEST,
  malformed_authorization: BAD_REQUEST,
  unsupported_scheme: BAD_REQUEST,
  invalid_base64: BAD_REQUEST,
  invalid_utf8: BAD_REQUEST,
  missing_colon: BAD_REQUEST,
  invalid_username: BAD_REQUEST,
  username_too_long: BAD_REQUEST,
  password_too_long: BAD_REQUEST,
  invalid_password: UNAUTHORIZED,
  // An empty user or password is a failed login, not a malformed request (docs/security.md,
  // rule 2), and clients show 401 as "wrong password".
  empty_credentials: UNAUTHORIZED,
  unsupported_grant_type: { status: 400, errcode: 'UNSUPPORTED', oauthError: 'unsupported_grant_type' },
  missing_refresh_token: BAD_REQUEST,
  account_mismatch: BAD_REQUEST,
  invalid_scope: BAD_REQUEST,
  service_required: BAD_REQUEST,
  unknown_service: BAD_REQUEST,
  unauthorized: UNAUTHORIZED,
  throttled: { status: 429, errcode: 'TOOMANYREQUESTS', message: 'too many failed logins, try again later', retryAfter: 60 },
  backend_unavailable: {
    status: 503,
    errcode: 'UNAVAILABLE',
    message: 'authentication backend unavailable, try again later',
    retryAfter: 5,
  },
  not_form: { ...BAD_REQUEST, message: 'expected an application/x-www-form-urlencoded body' },
  invalid_client_address: BAD_REQUEST,
  malformed: { ...BAD_REQUEST, message: 'malformed request' },
  not_found: { status: 404, errcode: 'NOT_FOUND', message: 'not found' },
  method_not_allowed: { status: 405, errcode: 'UNSUPPORTED', message: 'method not allowed: use GET or POST', allow: 'GET, POST' },
  too_large: { status: 413, errcode: 'INVALID_REQUEST', message: 'request body too large' },
  unsupported_media_type: {
    status: 415,
    errcode: 'UNSUPPORTED',
    message: 'unsupported content type: send application/x-www-form-urlencoded',
  },
  internal: { status: 500, errcode: 'INTERNAL', message: 'internal error' },
};

export interface RefusalResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

export function statusOf(code: RefusalCode): number {
  return TABLE[code].status;
}

/** `realm` is the token issuer: clients show it in password prompts. */
export function refusalResponse(refusal: Refusal, realm: string): RefusalResponse {
  const answer = TABLE[refusal.code];
  const message = answer.message ?? refusal.message ?? 'malformed request';
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (answer.challenge) headers['WWW-Authenticate'] = `Basic realm="${realm.replace(/["\\]/g, '')}"`;
  const retryAfter = refusal.retryAfter ?? answer.retryAfter;
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  if (answer.allow) headers.Allow = answer.allow;
  const body: Record<string, unknown> = { errors: [{ code: answer.errcode, message }], details: message };
  if (answer.oauthError) body.error = answer.oauthError;
  return { status: answer.status, headers, body };
}

/** The framework's own statuses (routing, body parsing, exceptions) as refusals. */
export function refusalForStatus(status: number): Refusal {
  switch (status) {
    case 404:
      return { code: 'not_found' };
    case 405:
      return { code: 'method_not_allowed' };
    case 413:
      return { code: 'too_large' };
    case 415:
      return { code: 'unsupported_media_type' };
    default:
      return { code: status >= 400 && status < 500 ? 'malformed' : 'internal' };
  }
}

/** Writes a refusal to a Fastify reply: the controller and the error filter both answer so. */
export function sendRefusal(reply: FastifyReply, response: RefusalResponse): void {
  void reply.code(response.status).headers(response.headers).type('application/json').send(response.body);
}
