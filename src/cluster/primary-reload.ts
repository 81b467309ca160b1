import type { Worker } from 'node:cluster';
import { CoalescedRun } from '../common/coalesced-run.js';
import { filesSignature } from '../config/files-signature.js';
import type { Logger } from '../observability/logger.js';
import { isOurs, type BuiltConfig, type FromWorker, type ToWorker } from './cluster-messages.js';

/** How long one phase may take in a worker (building a snapshot reads keys, scripts, CA files). */
const PHASE_TIMEOUT_MS = 60_000;

type Reply = Extract<FromWorker, { readonly id: number }>;

/**
 * Reloads every worker together, all or none (docs/operations.md, "Workers"). Each worker builds
 * the next config and reports what it was built from; only when every one succeeded, from the
 * same files, are they all told to switch. A refused config, a worker that does not answer, or
 * files that changed in between make them all keep the running config. The outcome is logged
 * here once, not once per worker. Runs never overlap and bursts fold into one (CoalescedRun).
 */
export class ClusterReload {
  readonly #runs = new CoalescedRun(() => this.#reload());
  #running: BuiltConfig;
  #failedSignature: string | null = null;
  #nextId = 1;
  readonly #listeners: Array<(built: BuiltConfig) => void> = [];

  constructor(
    initial: BuiltConfig,
    private readonly workers: () => Worker[],
    private readonly logger: Logger,
    private readonly configFile: string,
  ) {
    this.#running = initial;
  }

  /** What the workers were built from at the last successful reload (or at start). */
  get running(): BuiltConfig {
    return this.#running;
  }

  onReload(listener: (built: BuiltConfig) => void): void {
    this.#listeners.push(listener);
  }

  reload(): Promise<void> {
    return this.#runs.run();
  }

  /** As ConfigReloader.reloadIfChanged, for the files of the whole cluster. */
  async reloadIfChanged(): Promise<boolean> {
    await this.#runs.idle();
    const signature = await filesSignature(this.#running.files);
    if (signature === this.#running.filesSignature || signature === this.#failedSignature) return false;
    await this.reload().catch(() => undefined);
    return true;
  }

  async #reload(): Promise<void> {
    const before = await filesSignature(this.#running.files);
    const workers = this.workers();
    const id = this.#nextId++;
    const replies = await Promise.all(workers.map((w) => ask(w, { regauth: 'reload:prepare', id })));
    const refused = replies.find((r) => r?.regauth === 'reload:refused');
    const built = replies.flatMap((r) => (r?.regauth === 'reload:prepared' ? [r.built] : []));
    const signatures = new Set(built.map((b) => b.filesSignature));
    if (built.length === workers.length && signatures.size === 1) {
      await Promise.all(workers.map((w) => ask(w, { regauth: 'reload:commit', id })));
      this.#running = built[0]!;
      this.#failedSignature = null;
      this.logger.info({ config: this.configFile, workers: workers.length, kid: this.#running.kid }, 'config reloaded');
      for (const warning of this.#running.warnings) this.logger.warn(warning);
      for (const listener of this.#listeners) listener(this.#running);
      return;
    }
    await Promise.all(workers.map((w) => ask(w, { regauth: 'reload:abort', id })));
    if (refused?.regauth === 'reload:refused') {
      this.#failedSignature = before;
      this.logger.error({ config: this.configFile, problems: refused.problems }, 'config reload rejected; still serving the previous config');
      throw new Error(refused.problems);
    }
    if (signatures.size > 1) {
      // The files changed while the workers read them: no worker switched; read them once more.
      this.logger.warn({ config: this.configFile }, 'config files changed during the reload; reloading again');
      void this.reload().catch(() => undefined);
      return;
    }
    this.logger.error(
      { config: this.configFile, workers: workers.length, answered: built.length },
      'config reload abandoned: a worker did not answer; no worker switched',
    );
    throw new Error('a worker did not answer the reload');
  }
}

/** Sends one phase to a worker; its reply, or null when it exits or does not answer in time. */
function ask(worker: Worker, message: Extract<ToWorker, { readonly id: number }>): Promise<Reply | null> {
  return new Promise((resolve) => {
    const done = (reply: Reply | null): void => {
      clearTimeout(timer);
      worker.removeListener('message', onMessage);
      worker.removeListener('exit', onExit);
      resolve(reply);
    };
    const onMessage = (reply: unknown): void => {
      if (isOurs<FromWorker>(reply) && 'id' in reply && reply.id === message.id && reply.regauth !== 'metrics:get') done(reply);
    };
    const onExit = (): void => done(null);
    const timer = setTimeout(() => done(null), PHASE_TIMEOUT_MS);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    if (worker.isConnected()) worker.send(message);
    else done(null);
  });
}
