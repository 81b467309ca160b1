import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { relative, resolve } from 'node:path';
import { runPrimary } from '../cluster/primary.js';
import { ConfigError } from '../config/config-issue.js';
import { loadConfigFile } from '../config/config-loader.js';
import { readEnvironment } from '../config/environment.js';
import { splitAddr } from '../config/listen-addr.js';
import { buildSnapshot, closeSnapshot, type Snapshot } from '../config/snapshot.js';
import { createLogger } from '../observability/logger.js';
import { realmFor, registrySnippet } from '../token/registry-snippet.js';

/**
 * `regauth serve` and `nest start`: start the server, tell the operator how to point a registry
 * at it, and hand the process's signals to their owner. Resolves with an exit code when the
 * server could not start, or, in a cluster, when the primary has stopped its workers; a single
 * process ends through a stop signal.
 *
 * With `server.workers` > 1 this process becomes the cluster primary (src/cluster/primary.ts):
 * it checks the whole config once (and generates the development key, so the workers do not
 * race to write it) before forking workers, which run this same function and serve.
 */
export async function serve(options: { readonly configFlag?: string } = {}): Promise<number> {
  const env = await readEnvironment();
  const configFile = env.configFile(options.configFlag);
  try {
    if (cluster.isWorker) {
      // serveOne settles only when the worker could not start; it must then exit, which its
      // channel to the primary would otherwise prevent.
      try {
        return await serveOne(configFile, false);
      } finally {
        process.channel?.unref();
      }
    }
    const loaded = await loadConfigFile(configFile);
    const workers = loaded.config.server.workers ?? availableParallelism();
    if (workers === 1) return await serveOne(configFile, true);
    const snapshot = await buildSnapshot(loaded);
    await closeSnapshot(snapshot);
    const logger = createLogger(env.logLevel() ?? loaded.config.log.level);
    for (const file of snapshot.generated) logger.warn({ file }, 'generated development key material (token.generate_missing); do not use it in production');
    for (const warning of snapshot.warnings) logger.warn(warning);
    const { files, filesSignature, keys, warnings } = snapshot;
    const code = await runPrimary({
      configFile,
      workers,
      initial: { files, filesSignature, reload: loaded.config.reload, kid: keys.signer.kid, warnings },
      server: loaded.config.server,
      logger,
      onReady: () => process.stderr.write(banner(snapshot)),
    });
    // Log lines a stdout pipe nobody reads still holds (the primary flushed what it could within
    // its bound) must not keep the process alive once every worker is gone.
    process.exit(code);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** One serving process: the whole server, or one cluster worker. Nest is loaded only here. */
async function serveOne(configFile: string, withBanner: boolean): Promise<number> {
  const [{ startServer }, { ProcessLifecycle }, { WorkerChannel }] = await Promise.all([
    import('../server.js'),
    import('./process-lifecycle.js'),
    import('../cluster/worker-channel.js'),
  ]);
  const server = await startServer({ configFile });
  if (withBanner) process.stderr.write(banner(server.snapshot()));
  ProcessLifecycle.ownSignals(server.app);
  server.app.get(WorkerChannel).announceReady();
  return new Promise<number>(() => {});
}

function banner(snapshot: Snapshot): string {
  const { config, source } = snapshot;
  const devKey =
    snapshot.generated.length > 0
      ? `\n*** DEVELOPMENT KEY: generated ${snapshot.generated.map((f) => relative(process.cwd(), f)).join(', ')} ***\n` +
        '*** (token.generate_missing is on). Use your own key and certificate in production. ***\n'
      : '';
  const [host, port] = splitAddr(config.server.addr);
  const cert = config.token.keys[0]?.certificate;
  const snippet = registrySnippet({
    realm: realmFor(config.server.certificate ? 'https' : 'http', host, port, config.server.path_prefix),
    service: config.services[0] ?? '<your registry service name>',
    issuer: config.token.issuer,
    bundlePath: config.token.keys.length === 1 && cert ? resolve(source.baseDir, cert) : '<run: regauth registry-config --bundle FILE>',
  });
  return (
    `${devKey}\nregauth is serving tokens. Point your registry at it (registry config.yml):\n\n${snippet}\n\n` +
    'Use a DNS name that clients can reach in the realm (not 127.0.0.1) outside local testing.\n\n'
  );
}
