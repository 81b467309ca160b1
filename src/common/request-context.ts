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
  /** Told about every backend call the chains make: for metrics. */
  readonly trace?: BackendTrace;
}

/** What a provider or authorizer call came to; `error` is a thrown failure (the request gets 503). */
export type BackendOutcome = 'allow' | 'deny' | 'no_match' | 'unknown' | 'decided' | 'error';

/** Seconds since a `performance.now()` reading: how long a traced call took. */
export const secondsSince = (started: number): number => (performance.now() - started) / 1000;

export interface BackendTrace {
  call(kind: 'provider' | 'authorizer', name: string, outcome: BackendOutcome, seconds: number): void;
}
