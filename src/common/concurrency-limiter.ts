/**
 * Bounds concurrent backend work (docs/security.md rule 8): at most `concurrency` tasks run, at most
 * `queue` wait; past that, `run` rejects at once with `OverloadedError` so the client gets 503 +
 * Retry-After instead of an ever-growing backlog of processes or sockets. A waiter whose request
 * is aborted leaves the queue without ever starting.
 */
export class OverloadedError extends Error {
  readonly code = 'overloaded';
  constructor(what: string) {
    super(`${what}: too many concurrent requests, queue full`);
    this.name = 'OverloadedError';
  }
}

export interface LimiterOptions {
  readonly concurrency: number;
  readonly queue: number;
  /** Names the backend in the overload message (logs only). */
  readonly name: string;
}

interface Waiter {
  readonly start: () => void;
  readonly cancel: (reason: Error) => void;
}

export class ConcurrencyLimiter {
  #running = 0;
  readonly #waiting: Waiter[] = [];

  constructor(private readonly opts: LimiterOptions) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Waits for a slot and returns its release function (idempotent). Callers that must clean up
   * after answering (a killed process group still exiting) release only once that is done, so
   * the bound counts real processes, not pending answers.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#running >= this.opts.concurrency) await this.#wait(signal);
    else this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  /** Runs `task` in a slot held until the task settles. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.#waiting.length >= this.opts.queue) return Promise.reject(new OverloadedError(this.opts.name));
    return new Promise<void>((resolve, reject) => {
      // The request's AbortSignal reason: a TimeoutError or AbortError DOMException.
      const onAbort = (): void => waiter.cancel(signal!.reason as Error);
      const waiter: Waiter = {
        // The slot passes straight from the releasing task to this waiter: #running is unchanged.
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        cancel: (reason) => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.start();
    else this.#running--;
  }
}
