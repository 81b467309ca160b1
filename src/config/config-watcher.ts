import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { LOGGER, type Logger } from '../observability/logger.js';
import { ConfigReloader } from './config-reloader.js';
import { SnapshotStore } from './snapshot-store.js';
import type { Snapshot } from './snapshot.js';

/**
 * Reloads when the config file or any file the running snapshot was built from changes (keys,
 * certificates, secrets, scripts, CA bundles, plugin modules). It watches the folders, not the
 * files: editors save by writing a new file and renaming it over the old one, `mv -f` does the
 * same, and Kubernetes swaps a ConfigMap's files by replacing a symlink in the folder, all of
 * which a watch on the old file would miss. Any event only schedules a check after `debounce`;
 * the check compares file contents with those the snapshot was built from
 * (ConfigReloader.reloadIfChanged), so noise in a busy folder costs a few reads, not reloads.
 * The set of folders follows each reload.
 */
@Injectable()
export class ConfigWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #checking: Promise<void> | null = null;
  #again = false;
  #unsubscribe: (() => void) | null = null;
  #closed = false;

  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(ConfigReloader) private readonly reloader: ConfigReloader,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.#arm(this.store.current);
    this.#unsubscribe = this.store.onSwap((next) => this.#arm(next));
  }

  onApplicationShutdown(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#disarm();
    clearTimeout(this.#debounce);
  }

  /** Resolves once the checks scheduled so far have run (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    while (this.#checking) await this.#checking;
  }

  #arm(snapshot: Snapshot): void {
    this.#disarm();
    const { watch: enabled, debounce, poll_interval: poll } = snapshot.config.reload;
    if (!enabled || this.#closed) return;
    for (const folder of new Set(snapshot.files.map((f) => dirname(f)))) {
      try {
        const watcher = watch(folder, { persistent: false }, () => this.#schedule(debounce));
        // A folder that goes away (or a watch the system refuses) ends that watch; polling, the
        // next reload and SIGHUP still work.
        watcher.on('error', (err) => {
          this.logger.warn({ folder, err: err.message }, 'stopped watching a config folder');
          watcher.close();
        });
        this.#watchers.push(watcher);
      } catch (err) {
        this.logger.warn({ folder, err: (err as Error).message }, 'cannot watch a config folder; changes there need SIGHUP');
      }
    }
    if (poll > 0) {
      this.#poll = setInterval(() => this.#schedule(0), poll);
      this.#poll.unref();
    }
  }

  #disarm(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    clearInterval(this.#poll);
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#check(), delay);
    this.#debounce.unref();
  }

  /** One check at a time; events during a check cause one more check after it. */
  #check(): void {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = this.reloader
      .reloadIfChanged()
      .then((reloaded) => {
        if (reloaded) this.logger.debug('reload triggered by a file change');
      })
      .catch((err: unknown) => this.logger.error({ err }, 'config file check failed'))
      .finally(() => {
        this.#checking = null;
        if (this.#again && !this.#closed) {
          this.#again = false;
          this.#check();
        }
      });
  }
}
