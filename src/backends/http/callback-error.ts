/**
 * Why an HTTP callback failed. Each fails the request closed (503). Messages name the endpoint
 * (origin and path, never the query or user info) and go to the log only.
 */
export type CallbackErrorCode =
  | 'timeout' // the total deadline passed
  | 'aborted' // the request's own deadline passed first
  | 'network' // connect refused, TLS failure, connection reset
  | 'status' // a non-2xx answer
  | 'redirect' // a 3xx answer: never followed
  | 'too_large' // body over max_response
  | 'bad_response'; // not JSON, or JSON of the wrong shape

export class CallbackError extends Error {
  constructor(
    readonly code: CallbackErrorCode,
    readonly endpoint: string,
    detail: string,
  ) {
    super(`callback ${endpoint}: ${detail}`);
    this.name = 'CallbackError';
  }
}
