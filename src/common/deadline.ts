/**
 * Settles with `work`, or rejects with the signal's reason as soon as the signal aborts, whichever
 * comes first. Work that cannot be cancelled (a bcrypt compare already on the thread pool, a
 * plugin that ignores its signal) goes on in the background; the request does not wait for it.
 */
export function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    // An AbortSignal's reason: a TimeoutError or AbortError DOMException.
    onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([aborted, work]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * The deadline of one request, released when the request is answered. AbortSignal.timeout has
 * no such release: its timer and signal live for the whole timeout, so at a few thousand
 * requests per second with a 10 s timeout tens of thousands of them would be alive at once.
 * `abort` ends the request's work early for another reason (the client hung up).
 */
export function startDeadline(ms: number): { readonly signal: AbortSignal; abort(reason: Error): void; release(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref();
  return {
    signal: controller.signal,
    abort: (reason) => {
      clearTimeout(timer);
      controller.abort(reason);
    },
    release: () => clearTimeout(timer),
  };
}
