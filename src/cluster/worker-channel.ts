import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import cluster from 'node:cluster';
import { ConfigReloader } from '../config/config-reloader.js';
import { isOurs, type FromWorker, type ToWorker } from './cluster-messages.js';

/** How long a worker waits for the primary's aggregated metrics. */
const METRICS_TIMEOUT_MS = 5000;

/**
 * A cluster worker's end of the IPC channel: it runs the reload phases the primary asks for,
 * passes a stop request on to ProcessLifecycle, and asks the primary for the metrics of the
 * whole cluster. Outside a cluster worker it does nothing.
 */
@Injectable()
export class WorkerChannel implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #listener = (message: unknown): void => {
    if (isOurs<ToWorker>(message)) void this.#handle(message);
  };
  readonly #metricsWaiting = new Map<number, (text: string | null) => void>();
  #nextId = 1;
  #onStop: ((signal: string) => void) | null = null;
  /** A stop that came before ProcessLifecycle took over the signals: run as soon as it does. */
  #stopRequested: string | null = null;

  constructor(@Inject(ConfigReloader) private readonly reloader: ConfigReloader) {}

  get active(): boolean {
    return cluster.isWorker;
  }

  onApplicationBootstrap(): void {
    if (this.active) process.on('message', this.#listener);
  }

  onApplicationShutdown(): void {
    process.removeListener('message', this.#listener);
  }

  /** Tells the primary this worker serves: its listener is bound and its signals are owned. */
  announceReady(): void {
    if (this.active) this.#send({ regauth: 'ready' });
  }

  /** Who stops this worker when the primary says so (ProcessLifecycle). */
  onStop(handler: (signal: string) => void): void {
    this.#onStop = handler;
    if (this.#stopRequested) handler(this.#stopRequested);
  }

  /** Prometheus text for every worker together; null when the primary did not answer in time. */
  clusterMetrics(): Promise<string | null> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), METRICS_TIMEOUT_MS);
      const finish = (text: string | null): void => {
        clearTimeout(timer);
        this.#metricsWaiting.delete(id);
        resolve(text);
      };
      this.#metricsWaiting.set(id, finish);
      this.#send({ regauth: 'metrics:get', id });
    });
  }

  async #handle(message: ToWorker): Promise<void> {
    switch (message.regauth) {
      case 'reload:prepare':
        try {
          const next = await this.reloader.prepare();
          const { files, filesSignature, keys, warnings } = next;
          this.#send({
            regauth: 'reload:prepared',
            id: message.id,
            built: { files, filesSignature, reload: next.config.reload, kid: keys.signer.kid, warnings },
          });
        } catch (err) {
          this.#send({ regauth: 'reload:refused', id: message.id, problems: err instanceof Error ? err.message : String(err) });
        }
        return;
      case 'reload:commit':
        this.reloader.commit();
        this.#send({ regauth: 'reload:done', id: message.id });
        return;
      case 'reload:abort':
        this.reloader.abort();
        this.#send({ regauth: 'reload:done', id: message.id });
        return;
      case 'metrics:text':
        this.#metricsWaiting.get(message.id)?.(message.text);
        return;
      case 'stop':
        if (this.#onStop) this.#onStop(message.signal);
        else this.#stopRequested = message.signal;
        return;
    }
  }

  #send(message: FromWorker): void {
    // The channel is gone when the primary died; this worker is about to exit with it.
    if (process.connected) process.send!(message);
  }
}
