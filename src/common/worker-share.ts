import cluster from 'node:cluster';

/** Set by the cluster primary in each worker's environment: how many workers share the machine. */
export const WORKERS_ENV = 'REGAUTH_WORKERS';

/**
 * Bounds on machine resources (bcrypt compares on the CPUs, ext_auth processes) are configured
 * for the machine, not per process: with `server.workers` > 1 each worker takes an equal share,
 * at least 1, so the machine total stays at max(limit, workers) whatever the worker count.
 * Queues are not shared out: a queue bounds one process's memory, not the machine's.
 */
export function workerShare(limit: number, env: NodeJS.ProcessEnv = process.env): number {
  const workers = Number(env[WORKERS_ENV]);
  if (!cluster.isWorker || !Number.isInteger(workers) || workers <= 1) return limit;
  return Math.max(1, Math.floor(limit / workers));
}
