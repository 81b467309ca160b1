import { Inject, Injectable, type BeforeApplicationShutdown, type INestApplication, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { WorkerChannel } from '../cluster/worker-channel.js';
import { ConfigReloader } from '../config/config-reloader.js';
import { SnapshotStore } from '../config/snapshot-store.js';
import { flushWithin } from '../observability/log-output.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { Readiness } from './readiness.js';

/** Signals that stop the server; Nest drains HTTP, runs the shutdown hooks, then exits 0. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'];
/** How long the exit waits for buffered log lines. */
const LOG_FLUSH_LIMIT_MS = 2000;

/**
 * The one owner of process signals. Only `regauth serve` calls `ownSignals`: an app embedded in a
 * test or another program leaves the process's signals alone.
 * - SIGTERM/SIGINT: Nest's shutdown hooks close the HTTP server (in-flight requests finish),
 *   then SnapshotStore closes the backends, then the process exits 0.
 * - SIGHUP: ConfigReloader reloads (serialised there); the process keeps running.
 * - Every other signal keeps Node's default behaviour.
 * In a cluster the primary owns the signals (src/cluster/primary.ts) and its workers follow it.
 * Nest's `enableShutdownHooks()` without a list would take every signal, SIGHUP included, and
 * stop the server on a reload request; the list here is explicit for that reason.
 */
@Injectable()
export class ProcessLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  #stopping = false;
  #drainLimit: NodeJS.Timeout | undefined;
  /** What stopped a cluster worker (its own signal or the primary's), for the log. */
  #workerStopSignal: string | undefined;
  readonly #onHangup = (): void => this.hangup();

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ConfigReloader) private readonly reloader: ConfigReloader,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(Readiness) private readonly readiness: Readiness,
    @Inject(WorkerChannel) private readonly channel: WorkerChannel,
  ) {}

  /**
   * A response finished while stopping closes its connection. The HTTP server stops only when
   * every connection is gone, and a keep-alive connection whose request was in flight when the
   * stop began would otherwise stay open until the client or the keep-alive timeout drops it.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', async (_req, reply) => {
      if (this.#stopping) void reply.header('Connection', 'close');
    });
  }

  static ownSignals(app: INestApplication): void {
    if (cluster.isWorker) return app.get(ProcessLifecycle).#ownAsWorker(app);
    app.enableShutdownHooks(STOP_SIGNALS, { useProcessExit: true });
    process.on('SIGHUP', app.get(ProcessLifecycle).#onHangup);
  }

  /**
   * A cluster worker stops when the primary says so, or on its own SIGTERM/SIGINT (Ctrl-C reaches
   * the whole process group, and systemd signals every process of the unit): whichever comes
   * first starts one orderly stop and later ones are ignored, where Nest's own hooks would let a
   * second signal kill the worker in the middle of draining. Reloads belong to the primary.
   */
  #ownAsWorker(app: INestApplication): void {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      this.#workerStopSignal = signal;
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          this.logger.error({ err }, 'worker stopped with an error');
          process.exit(1);
        },
      );
    };
    for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));
    process.on('SIGHUP', () => this.logger.warn({ primary_pid: process.ppid }, 'SIGHUP sent to a worker is ignored: send it to the primary process to reload'));
    this.channel.onStop(stop);
  }

  /**
   * Stopping first turns /readyz to 503 and, for server.shutdown_delay, keeps serving, so a load
   * balancer that polls it stops sending before the listener closes. Then Nest closes the
   * listener and waits for in-flight requests, but not for ever: after server.shutdown_timeout
   * the connections still open (a client trickling a body, a stuck keep-alive) are closed, so a
   * stop signal always ends the process in bounded time.
   */
  async beforeApplicationShutdown(hookSignal?: string): Promise<void> {
    const signal = hookSignal ?? this.#workerStopSignal;
    this.#stopping = true;
    this.readiness.startDraining();
    const { shutdown_delay: delay, shutdown_timeout: limit } = this.store.current.config.server;
    if (signal) this.logger.info({ signal, shutdown_delay_ms: delay, shutdown_timeout_ms: limit }, 'stopping: finishing in-flight requests');
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    this.#drainLimit = setTimeout(() => {
      this.logger.warn({ shutdown_timeout_ms: limit }, 'stopping: closing connections still open after shutdown_timeout');
      (this.adapterHost.httpAdapter.getHttpServer() as Server).closeAllConnections();
    }, limit);
    this.#drainLimit.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.#drainLimit);
    process.removeListener('SIGHUP', this.#onHangup);
    // The last lines should reach the log, but a stdout nobody reads must not hold the exit.
    await flushWithin((cb) => this.logger.flush(cb), LOG_FLUSH_LIMIT_MS);
  }

  private hangup(): void {
    if (this.#stopping) {
      this.logger.warn('SIGHUP ignored: the server is stopping');
      return;
    }
    this.logger.info({ signal: 'SIGHUP' }, 'reloading config');
    // A failed reload is logged by the reloader and leaves the running config in place.
    this.reloader.reload().catch(() => undefined);
  }
}
