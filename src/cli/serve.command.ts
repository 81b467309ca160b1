import { relative, resolve } from 'node:path';
import { ConfigError } from '../config/config-issue.js';
import { splitAddr } from '../config/listen-addr.js';
import { startServer } from '../server.js';
import { configPath, parseOptions, type Command } from './command.js';
import { realmFor, registrySnippet } from './registry-snippet.js';

export const serveCommand: Command = {
  summary: 'run the token server',
  usage: `Usage: regauth serve [--config FILE]

Starts the token server. The config comes from --config, else $REGAUTH_CONFIG, else
config/default.yml. SIGHUP reloads the config (a bad config is rejected and the old one keeps
serving); SIGTERM/SIGINT stop gracefully after in-flight requests.`,
  async run(argv) {
    const { values } = parseOptions(argv, { config: { type: 'string' } });
    const file = configPath(values.config);
    let server;
    try {
      server = await startServer({ configFile: file });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        return 1;
      }
      throw err;
    }
    const snapshot = server.snapshot();
    const { config, source } = snapshot;
    if (snapshot.generated.length > 0) {
      process.stderr.write(
        `\n*** DEVELOPMENT KEY: generated ${snapshot.generated.map((f) => relative(process.cwd(), f)).join(', ')} ***\n` +
          '*** (token.generate_missing is on). Use your own key and certificate in production. ***\n',
      );
    }
    const [host, port] = splitAddr(config.server.addr);
    const cert = config.token.keys[0]?.certificate;
    process.stderr.write(
      `\nregauth is serving tokens. Point your registry at it (registry config.yml):\n\n${registrySnippet({
        realm: realmFor(config.server.certificate ? 'https' : 'http', host, port, config.server.path_prefix),
        service: config.services[0] ?? '<your registry service name>',
        issuer: config.token.issuer,
        bundlePath: config.token.keys.length === 1 && cert ? resolve(source.baseDir, cert) : '<run: regauth registry-config --bundle FILE>',
      })}\n\nUse a DNS name that clients can reach in the realm (not 127.0.0.1) outside local testing.\n\n`,
    );

    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`regauth: ${signal} received, finishing in-flight requests\n`);
      void server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`regauth: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      server.reload().catch((err: unknown) => {
        process.stderr.write(`regauth: reload rejected, still serving the previous config:\n${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    await new Promise<never>(() => {});
    return 0;
  },
};
