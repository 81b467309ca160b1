import { Inject, Injectable } from '@nestjs/common';
import { CoalescedRun } from '../common/coalesced-run.js';
import { LOGGER } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { loadConfigFile } from './config-loader.js';
import { filesSignature } from './files-signature.js';
import { buildSnapshot, closeSnapshot, type Snapshot } from './snapshot.js';
import { SnapshotStore } from './snapshot-store.js';

/** Injection token: the config file the server was started with, read again on every reload. */
export const CONFIG_FILE = Symbol('regauth.config-file');

/**
 * The one way the running config changes. A reload builds and validates a whole new snapshot,
 * then swaps it in; any error leaves the old one serving. Reloads never overlap, and a burst of
 * requests during one makes one more (CoalescedRun).
 */
@Injectable()
export class ConfigReloader {
  readonly #runs = new CoalescedRun(() => this.#apply());
  /** Reload results since start, for metrics. */
  readonly stats = { succeeded: 0, failed: 0, lastSuccessSeconds: 0 };
  /** The files' signature when the last reload failed: the same broken files are not tried again. */
  #failedSignature: string | null = null;
  #prepared: Snapshot | null = null;

  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG_FILE) private readonly configFile: string,
  ) {}

  /** Resolves when a reload that started after this call has been applied; rejects if it failed. */
  reload(): Promise<void> {
    return this.#runs.run();
  }

  /**
   * The file watcher's entry: reload only when the files the running snapshot was built from
   * changed since it was built, and are not the very files a reload already refused (each
   * problem is logged once, not on every save of an unrelated file). Waits for a reload under
   * way first, so a SIGHUP and a file event for the same edit make one reload, not two.
   */
  async reloadIfChanged(): Promise<boolean> {
    await this.#runs.idle();
    const current = this.store.current;
    const signature = await filesSignature(current.files);
    if (signature === current.filesSignature || signature === this.#failedSignature) return false;
    await this.reload().catch(() => undefined);
    return true;
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
    this.#install(next);
    this.logger.info({ config: this.configFile, generation: this.store.generation, kid: next.keys.signer.kid }, 'config reloaded');
    for (const warning of next.warnings) this.logger.warn(warning);
  }

  /**
   * A cluster reload is all-or-none across the workers (docs/operations.md, "Workers"): the
   * primary has every worker build the next snapshot (`prepare`) and tells them all to `commit`
   * only when each succeeded from the same files, else to `abort`. The primary serialises these
   * calls and logs the outcome once, so nothing is logged here but the switch itself.
   */
  async prepare(): Promise<Snapshot> {
    this.#discardPrepared();
    const next = await buildSnapshot(await loadConfigFile(this.configFile));
    this.#prepared = next;
    return next;
  }

  commit(): void {
    const next = this.#prepared;
    if (!next) return;
    this.#prepared = null;
    this.#install(next);
    this.logger.debug({ generation: this.store.generation, kid: next.keys.signer.kid }, 'worker switched to the reloaded config');
  }

  /** The reload failed somewhere in the cluster: this worker keeps its config too. */
  abort(): void {
    this.#discardPrepared();
    this.stats.failed++;
  }

  #discardPrepared(): void {
    if (this.#prepared) void closeSnapshot(this.#prepared);
    this.#prepared = null;
  }

  #install(next: Snapshot): void {
    this.store.swap(next);
    this.stats.succeeded++;
    this.stats.lastSuccessSeconds = Date.now() / 1000;
  }
}
