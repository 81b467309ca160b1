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
