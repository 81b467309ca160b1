import type { Snapshot } from './snapshot.js';

/**
 * Holds the snapshot in force. A request reads `current` once and uses that object to the end,
 * so a swap never mixes two configs within one request.
 */
export class SnapshotStore {
  #current: Snapshot;

  constructor(initial: Snapshot) {
    this.#current = initial;
  }

  get current(): Snapshot {
    return this.#current;
  }

  /** Installs a fully built snapshot and returns the one it replaces (the caller closes it). */
  swap(next: Snapshot): Snapshot {
    const previous = this.#current;
    this.#current = next;
    return previous;
  }
}
