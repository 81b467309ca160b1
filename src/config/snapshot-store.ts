import type { OnApplicationShutdown } from '@nestjs/common';
import { closeSnapshot, type Snapshot } from './snapshot.js';

/**
 * Holds the snapshot in force. A request reads `current` once and uses that object to the end,
 * so a swap never mixes two configs within one request. Nest calls `onApplicationShutdown` after
 * the HTTP server has drained, so backends close only once no request can use them.
 */
export class SnapshotStore implements OnApplicationShutdown {
  #current: Snapshot;
  #generation = 1;
  readonly #retiring = new Map<Snapshot, NodeJS.Timeout>();
  readonly #listeners = new Set<(next: Snapshot, previous: Snapshot) => void>();

  constructor(initial: Snapshot) {
    this.#current = initial;
  }

  get current(): Snapshot {
    return this.#current;
  }

  /** 1 for the snapshot built at start, +1 per successful reload. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Installs a fully built snapshot. The one it replaces is closed once the longest request that
   * may have started on it (its own request_timeout) is over.
   */
  swap(next: Snapshot): void {
    const previous = this.#current;
    this.#current = next;
    this.#generation += 1;
    for (const listener of this.#listeners) listener(next, previous);
    const timer = setTimeout(() => {
      this.#retiring.delete(previous);
      void closeSnapshot(previous);
    }, previous.config.server.request_timeout);
    timer.unref();
    this.#retiring.set(previous, timer);
  }

  /**
   * Called after each swap, with the new and the replaced snapshot: for what lives outside the
   * snapshot (the listening server's timeouts and TLS context, metrics). Returns the unsubscribe.
   */
  onSwap(listener: (next: Snapshot, previous: Snapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    const retiring = [...this.#retiring.entries()];
    this.#retiring.clear();
    for (const [, timer] of retiring) clearTimeout(timer);
    await Promise.all([this.#current, ...retiring.map(([snapshot]) => snapshot)].map(closeSnapshot));
  }
}
