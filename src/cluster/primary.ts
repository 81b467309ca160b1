import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { WORKERS_ENV } from '../common/worker-share.js';
import type { RegauthConfig } from '../config/config.schema.js';
import { FileWatch } from '../config/file-watch.js';
import { flushWithin } from '../observability/log-output.js';
import type { Logger } from '../observability/logger.js';
import { isOurs, type BuiltConfig, type FromWorker, type ToWorker } from './cluster-messages.js';
import { ClusterReload } from './primary-reload.js';

export interface PrimaryOptions {
  readonly configFile: string;
  readonly workers: number;
  /** What the config checked before forking was built from (the files to watch). */
  readonly initial: BuiltConfig;
  readonly server: Pick<RegauthConfig['server'], 'shutdown_delay' | 'shutdown_timeout' | 'worker_memory'>;
  readonly logger: Logger;
  /** Called once, when every worker serves (the banner). */
  readonly onReady: () => void;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** Added to shutdown_delay + shutdown_timeout before workers still running are killed. */
const STOP_MARGIN_MS = 5000;
/** A worker that ran this long before it died is replaced at once; faster deaths back off. */
const HEALTHY_RUN_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;
const LOG_FLUSH_LIMIT_MS = 2000;

/**
 * The cluster primary (server.workers > 1): it serves no request and never loads Nest. It forks
 * the workers, which share the listener; owns the process's signals (SIGHUP reloads every worker
 * together, SIGTERM/SIGINT stop them all gracefully and exit when they have); watches the config
 * files for all of them; holds the failed-login counters of the whole machine
 * (rate-limiter-flexible's cluster store) and sums the workers' metrics (prom-client's
 * aggregator) when a worker asks. A worker that dies is replaced, with a growing delay when
 * they keep dying; a worker that cannot start at all stops the whole server with exit code 1.
 * Resolves with the exit code.
 */
export function runPrimary(opts: PrimaryOptions): Promise<number> {
  const { logger } = opts;
  // Both must exist before the first worker asks them anything.
  new RateLimiterClusterMaster();
  const aggregator = new AggregatorRegistry();

  const ready = new Set<Worker>();
  // Workers whose process has not exited, kept here rather than read from cluster.workers: Node
  // removes a worker from there only once both its 'exit' and its 'disconnect' have come, in
  // either order, so on the last worker's 'exit' it can still be listed and the stop would
  // never finish.
  const live = new Set<Worker>();
  const startedAt = new Map<Worker, number>();
  let allReady = false;
  let stopping = false;
  let failedStops = 0;
  let quickDeaths = 0;

  // After the primary's own flags (and NODE_OPTIONS, which Node reads first), so the config wins.
  const { semi_space_mb: semiSpace, old_space_mb: oldSpace } = opts.server.worker_memory;
  cluster.setupPrimary({ execArgv: [...process.execArgv, `--max-semi-space-size=${semiSpace}`, `--max-old-space-size=${oldSpace}`] });

  const reload = new ClusterReload(opts.initial, () => [...ready], logger, opts.configFile);
  const watch = new FileWatch(() => reload.reloadIfChanged(), logger);
  watch.arm(opts.initial.files, opts.initial.reload);
  reload.onReload((built) => watch.arm(built.files, built.reload));

  const fork = (): void => {
    const worker = cluster.fork({ [WORKERS_ENV]: String(opts.workers) });
    live.add(worker);
    startedAt.set(worker, Date.now());
  };
  const send = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };

  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      watch.close();
      void flushWithin((cb) => logger.flush(cb), LOG_FLUSH_LIMIT_MS).then(() => resolve(code));
    };

    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      watch.close();
      const { shutdown_delay: delay, shutdown_timeout: limit } = opts.server;
      logger.info({ signal, workers: live.size, shutdown_delay_ms: delay, shutdown_timeout_ms: limit }, 'stopping: workers finish in-flight requests');
      for (const worker of live) {
        // A worker still starting has not taken over its signals: its default SIGTERM ends it.
        if (ready.has(worker)) send(worker, { regauth: 'stop', signal });
        else worker.process.kill('SIGTERM');
      }
      const killer = setTimeout(
        () => {
          for (const worker of live) {
            logger.warn({ worker: worker.id }, 'stopping: killing a worker still running after shutdown_delay + shutdown_timeout');
            worker.process.kill('SIGKILL');
          }
        },
        delay + limit + STOP_MARGIN_MS,
      );
      killer.unref();
      if (live.size === 0) finish(0);
    };

    cluster.on('message', (worker, message: unknown) => {
      if (!isOurs<FromWorker>(message)) return;
      if (message.regauth === 'ready') {
        ready.add(worker);
        if (!allReady && ready.size === opts.workers) {
          allReady = true;
          logger.info({ workers: opts.workers }, 'regauth cluster ready');
          opts.onReady();
        }
      } else if (message.regauth === 'metrics:get') {
        aggregator.clusterMetrics().then(
          (text) => send(worker, { regauth: 'metrics:text', id: message.id, text }),
          () => send(worker, { regauth: 'metrics:text', id: message.id, text: null }),
        );
      }
    });

    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
      const served = ready.has(worker);
      ready.delete(worker);
      live.delete(worker);
      startedAt.delete(worker);
      if (stopping) {
        // A worker the stop found still starting ends by the SIGTERM sent to it: with nothing in
        // flight, that is a clean stop too, and the primary's exit code stays 0.
        const clean = code === 0 || (signal === 'SIGTERM' && !served);
        if (!clean) failedStops++;
        if (live.size === 0) finish(failedStops === 0 ? 0 : 1);
        return;
      }
      if (!allReady) {
        // The config was checked before forking, so this is not a typo: say so and stop.
        logger.error({ worker: worker.id, code, signal }, 'a worker could not start; stopping the server');
        stopping = true;
        failedStops++;
        for (const other of live) other.process.kill('SIGTERM');
        if (live.size === 0) finish(1);
        return;
      }
      quickDeaths = lived >= HEALTHY_RUN_MS ? 0 : quickDeaths + 1;
      const delay = quickDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (quickDeaths - 1));
      logger.error({ worker: worker.id, code, signal, restart_in_ms: delay }, 'worker exited unexpectedly; starting a new one');
      setTimeout(() => {
        if (!stopping) fork();
      }, delay);
    });

    for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));
    process.on('SIGHUP', () => {
      if (stopping) return logger.warn('SIGHUP ignored: the server is stopping');
      logger.info({ signal: 'SIGHUP' }, 'reloading config');
      // A failed reload is logged by ClusterReload; every worker keeps the running config.
      reload.reload().catch(() => undefined);
    });

    for (let i = 0; i < opts.workers; i++) fork();
  });
}
