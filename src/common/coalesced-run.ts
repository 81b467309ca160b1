/**
 * Runs an async task one at a time, folding requests that arrive while it runs into a single
 * follow-up run: a burst of SIGHUPs during a slow reload costs one more reload, not one per
 * signal, and the follow-up sees the files as they are when it starts. Each caller's promise
 * settles with the first run that started after its call.
 */
export class CoalescedRun {
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.#running) return this.#start();
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = null;
        return this.#start();
      });
    return this.#queued;
  }

  /** Resolves when no run is under way or queued (whatever their results). */
  async idle(): Promise<void> {
    while (this.#running || this.#queued) await Promise.allSettled([this.#running, this.#queued]);
  }

  #start(): Promise<void> {
    const run = this.task().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }
}
