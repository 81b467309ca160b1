import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { RegauthConfig } from './config.schema.js';

/**
 * Watches the folders of a set of files and, after `debounce`, runs `check` (which decides from
 * the files' contents whether a reload is due). It watches the folders, not the files: editors
 * save by writing a new file and renaming it over the old one, `mv -f` does the same, and
 * Kubernetes swaps a ConfigMap's files by replacing a symlink in the folder, all of which a watch
 * on the old file would miss. Noise in a busy folder costs a few reads, not reloads.
 * Used by ConfigWatcher in a single process and by the cluster primary for all its workers.
 */
export class FileWatch {
  #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #checking: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(
    private readonly check: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  /** Watches these files' folders with these settings, instead of whatever was watched before. */
  arm(files: readonly string[], settings: RegauthConfig['reload']): void {
    this.#disarm();
    const { watch: enabled, debounce, poll_interval: poll } = settings;
    if (!enabled || this.#closed) return;
    for (const folder of new Set(files.map((f) => dirname(f)))) {
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

  close(): void {
    this.#closed = true;
    this.#disarm();
    clearTimeout(this.#debounce);
  }

  /** Resolves once the checks scheduled so far have run (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    while (this.#checking) await this.#checking;
  }

  #disarm(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    clearInterval(this.#poll);
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#run(), delay);
    this.#debounce.unref();
  }

  /** One check at a time; events during a check cause one more check after it. */
  #run(): void {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = this.check()
      .then((reloaded) => {
        if (reloaded) this.logger.debug('reload triggered by a file change');
      })
      .catch((err: unknown) => this.logger.error({ err }, 'config file check failed'))
      .finally(() => {
        this.#checking = null;
        if (this.#again && !this.#closed) {
          this.#again = false;
          this.#run();
        }
      });
  }
}
