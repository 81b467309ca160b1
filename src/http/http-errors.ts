/**
 * Every error the token endpoint answers. Bodies follow distribution's errcode shape, which
 * docker prints ("unauthorized: …"), plus a top-level `details` string docker reads first.
 * Messages are fixed strings: backend errors, DNs and stack traces never reach a client.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unsupported_grant_type'
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'too_large'
  | 'unsupported_media_type'
  | 'internal'
  | 'unavailable';

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unsupported_grant_type: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
};

const CODE: Record<ErrorKind, string> = {
  bad_request: 'INVALID_REQUEST',
  unsupported_grant_type: 'UNSUPPORTED',
  unauthorized: 'UNAUTHORIZED',
  not_found: 'NOT_FOUND',
  method_not_allowed: 'UNSUPPORTED',
  too_large: 'INVALID_REQUEST',
  unsupported_media_type: 'UNSUPPORTED',
  internal: 'INTERNAL',
  unavailable: 'UNAVAILABLE',
};

/** The framework's own statuses (routing, body parsing) mapped onto ours, with fixed messages. */
export function errorForStatus(status: number): HttpError {
  switch (status) {
    case 404:
      return { kind: 'not_found', message: 'not found' };
    case 405:
      return { kind: 'method_not_allowed', message: 'method not allowed: use GET or POST' };
    case 413:
      return { kind: 'too_large', message: 'request body too large' };
    case 415:
      return { kind: 'unsupported_media_type', message: 'unsupported content type: send application/x-www-form-urlencoded' };
    default:
      return status >= 400 && status < 500
        ? { kind: 'bad_request', message: 'malformed request' }
        : { kind: 'internal', message: 'internal error' };
  }
}

export interface HttpError {
  readonly kind: ErrorKind;
  readonly message: string;
}

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

export function errorBody(error: HttpError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    errors: [{ code: CODE[error.kind], message: error.message }],
    details: error.message,
  };
  // RFC 6749 clients (item 29 of the protocol checklist) look for `error`.
  if (error.kind === 'unsupported_grant_type') body.error = 'unsupported_grant_type';
  return body;
}

export const UNAUTHORIZED: HttpError = { kind: 'unauthorized', message: 'authentication required: invalid username or password' };
export const UNAVAILABLE: HttpError = {
  kind: 'unavailable',
  message: 'authentication backend unavailable, try again later',
};
