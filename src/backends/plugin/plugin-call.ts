import { ConcurrencyLimiter, OverloadedError } from '../../common/concurrency-limiter.js';
import { beforeDeadline } from '../../common/deadline.js';
import { PluginError } from './plugin-error.js';
import type { PluginOptions } from './plugin.schema.js';

/** Runs one call into a plugin: `call` gets the signal to pass on to whatever it waits for. */
export type PluginCaller = <T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/**
 * Bounds and times the calls into one plugin instance (docs/security.md rule 8). Each call has a
 * deadline, the plugin's `timeout` or the request's, whichever comes first, which covers the wait
 * for a slot too; a hung promise cannot hold a request past it. A call that outlives its
 * deadline keeps its slot until it settles, so a plugin that ignores `ctx.signal` cannot pile up
 * unbounded work: past `concurrency` running and `queue` waiting, calls fail with 503 at once.
 */
export function createPluginCaller(spec: string, options: Pick<PluginOptions, 'timeout' | 'concurrency' | 'queue'>): PluginCaller {
  const limiter = new ConcurrencyLimiter({ concurrency: options.concurrency, queue: options.queue, name: `plugin ${spec}` });
  return async <T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeout)]);
    const stopped = (): PluginError => new PluginError('timeout', spec, signal.aborted ? 'request deadline passed' : `no answer within ${options.timeout} ms`);
    let release: () => void;
    try {
      release = await limiter.acquire(deadline);
    } catch (err) {
      if (err instanceof OverloadedError || !deadline.aborted) throw err;
      throw stopped();
    }
    let running: Promise<T>;
    try {
      running = Promise.resolve(call(deadline));
    } catch (err) {
      release();
      throw err;
    }
    void running.then(release, release);
    try {
      return await beforeDeadline(running, deadline);
    } catch (err) {
      if (deadline.aborted && err === deadline.reason) throw stopped();
      throw err;
    }
  };
}
