/**
 * Every error the token endpoint answers. Bodies follow distribution's errcode shape, which
 * docker prints ("unauthorized: …"), plus a top-level `details` string docker reads first.
 * Messages are fixed strings: backend errors, DNs and stack traces never reach a client.
 */
export type ErrorKind = 'bad_request' | 'unsupported_grant_type' | 'unauthorized' | 'unavailable' | 'not_found';

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unsupported_grant_type: 400,
  unauthorized: 401,
  unavailable: 503,
  not_found: 404,
};

const CODE: Record<ErrorKind, string> = {
  bad_request: 'INVALID_REQUEST',
  unsupported_grant_type: 'UNSUPPORTED',
  unauthorized: 'UNAUTHORIZED',
  unavailable: 'UNAVAILABLE',
  not_found: 'NOT_FOUND',
};

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
