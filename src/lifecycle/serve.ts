import { relative, resolve } from 'node:path';
import { ConfigError } from '../config/config-issue.js';
import { readEnvironment } from '../config/environment.js';
import { splitAddr } from '../config/listen-addr.js';
import type { Snapshot } from '../config/snapshot.js';
import { startServer } from '../server.js';
import { realmFor, registrySnippet } from '../token/registry-snippet.js';
import { ProcessLifecycle } from './process-lifecycle.js';

/**
 * `regauth serve` and `nest start`: start the server, tell the operator how to point a registry
 * at it, and hand the process's signals to ProcessLifecycle. Resolves with an exit code only
 * when the server could not start; once running, the process ends through a stop signal.
 */
export async function serve(options: { readonly configFlag?: string } = {}): Promise<number> {
  let server;
  try {
    const env = await readEnvironment();
    server = await startServer({ configFile: env.configFile(options.configFlag) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stderr.write(banner(server.snapshot()));
  ProcessLifecycle.ownSignals(server.app);
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
