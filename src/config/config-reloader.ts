import { Inject, Injectable } from '@nestjs/common';
import { LOGGER } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { loadConfigFile } from './config-loader.js';
import { buildSnapshot } from './snapshot.js';
import { SnapshotStore } from './snapshot-store.js';

/** Injection token: the config file the server was started with, read again on every reload. */
export const CONFIG_FILE = Symbol('regauth.config-file');

/**
 * The one way the running config changes. A reload builds and validates a whole new snapshot,
 * then swaps it in; any error leaves the old one serving. Reloads never overlap: a request that
 * arrives while one runs is folded into a single follow-up run (a burst of SIGHUPs while a slow
 * reload is under way costs one more reload, not one per signal), and that follow-up reads the
 * file as it is when it starts.
 */
@Injectable()
export class ConfigReloader {
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;

  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG_FILE) private readonly configFile: string,
  ) {}

  /** Resolves when a reload that started after this call has been applied; rejects if it failed. */
  reload(): Promise<void> {
    if (!this.#running) return this.#start();
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = null;
        return this.#start();
      });
    return this.#queued;
  }

  #start(): Promise<void> {
    const run = this.#apply().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #apply(): Promise<void> {
    let next;
    try {
      next = await buildSnapshot(await loadConfigFile(this.configFile));
    } catch (err) {
      this.logger.error(
        { config: this.configFile, problems: err instanceof Error ? err.message : String(err) },
        'config reload rejected; still serving the previous config',
      );
      throw err;
    }
    this.store.swap(next);
    this.logger.info({ config: this.configFile, generation: this.store.generation, kid: next.keys.signer.kid }, 'config reloaded');
    for (const warning of next.warnings) this.logger.warn(warning);
  }
}
