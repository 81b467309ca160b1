import { Inject, Injectable } from '@nestjs/common';
import { LOGGER } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { loadConfigFile } from './config-loader.js';
import { filesSignature } from './files-signature.js';
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
  /** Reload results since start, for metrics. */
  readonly stats = { succeeded: 0, failed: 0, lastSuccessSeconds: 0 };
  /** The files' signature when the last reload failed: the same broken files are not tried again. */
  #failedSignature: string | null = null;

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

  /**
   * The file watcher's entry: reload only when the files the running snapshot was built from
   * changed since it was built, and are not the very files a reload already refused (each
   * problem is logged once, not on every save of an unrelated file). Waits for a reload under
   * way first, so a SIGHUP and a file event for the same edit make one reload, not two.
   */
  async reloadIfChanged(): Promise<boolean> {
    await Promise.allSettled([this.#running, this.#queued]);
    const current = this.store.current;
    const signature = await filesSignature(current.files);
    if (signature === current.filesSignature || signature === this.#failedSignature) return false;
    await this.reload().catch(() => undefined);
    return true;
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
    const before = await filesSignature(this.store.current.files);
    try {
      next = await buildSnapshot(await loadConfigFile(this.configFile));
      this.#failedSignature = null;
    } catch (err) {
      this.#failedSignature = before;
      this.stats.failed++;
      this.logger.error(
        { config: this.configFile, problems: err instanceof Error ? err.message : String(err) },
        'config reload rejected; still serving the previous config',
      );
      throw err;
    }
    this.store.swap(next);
    this.stats.succeeded++;
    this.stats.lastSuccessSeconds = Date.now() / 1000;
    this.logger.info({ config: this.configFile, generation: this.store.generation, kid: next.keys.signer.kid }, 'config reloaded');
    for (const warning of next.warnings) this.logger.warn(warning);
  }
}
