/**
 * What every backend call gets besides its own input: where the request comes from and when it
 * must be over. Providers and authorizers both receive it, so it lives below both.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string | null;
  readonly service: string;
  /** Aborts at the request's deadline; backends pass it to sockets and child processes. */
  readonly signal: AbortSignal;
}
