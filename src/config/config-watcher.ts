import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cluster from 'node:cluster';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ConfigReloader } from './config-reloader.js';
import { FileWatch } from './file-watch.js';
import { SnapshotStore } from './snapshot-store.js';

/**
 * Reloads when the config file or any file the running snapshot was built from changes (keys,
 * certificates, secrets, scripts, CA bundles, plugin modules); the set of files follows each
 * reload. Whether a change is real is decided from the contents by
 * ConfigReloader.reloadIfChanged. In a cluster worker this stays idle: the primary watches the
 * files once and reloads every worker together (src/cluster/primary-reload.ts).
 */
@Injectable()
export class ConfigWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #watch: FileWatch;
  #unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(ConfigReloader) reloader: ConfigReloader,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.#watch = new FileWatch(() => reloader.reloadIfChanged(), logger);
  }

  onApplicationBootstrap(): void {
    if (cluster.isWorker) return;
    const arm = (): void => this.#watch.arm(this.store.current.files, this.store.current.config.reload);
    arm();
    this.#unsubscribe = this.store.onSwap(arm);
  }

  onApplicationShutdown(): void {
    this.#unsubscribe?.();
    this.#watch.close();
  }

  /** Resolves once the checks scheduled so far have run (for tests and orderly shutdown). */
  settled(): Promise<void> {
    return this.#watch.settled();
  }
}
