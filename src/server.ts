import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { loadConfigFile } from './config/config-loader.js';
import { splitAddr } from './config/listen-addr.js';
import { buildSnapshot, closeSnapshot, type Snapshot } from './config/snapshot.js';
import { SnapshotStore } from './config/snapshot-store.js';
import { createLogger, type Logger, type LogLevel } from './observability/logger.js';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:5001 (path_prefix not included). */
  readonly url: string;
  readonly snapshot: () => Snapshot;
  /** Rebuilds the snapshot from the config file; on any error the old one keeps serving. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly configFile: string;
  /** Override `server.addr` (tests listen on a free loopback port). */
  readonly host?: string;
  readonly port?: number;
  readonly logLevel?: LogLevel;
  readonly logger?: Logger;
}

/** Bodies are tiny forms; anything bigger is not a token request. */
const BODY_LIMIT = 64 * 1024;

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const loaded = await loadConfigFile(opts.configFile);
  const logger = opts.logger ?? createLogger(opts.logLevel ?? loaded.config.log.level);
  const snapshot = await buildSnapshot(loaded);
  for (const file of snapshot.generated) logger.warn({ file }, 'generated development key material (token.generate_missing); do not use it in production');
  for (const warning of snapshot.warnings) logger.warn(warning);
  const store = new SnapshotStore(snapshot);
  const { server } = loaded.config;

  const https = server.certificate && server.key
    ? { cert: readFileSync(resolve(loaded.baseDir, server.certificate)), key: readFileSync(resolve(loaded.baseDir, server.key)) }
    : undefined;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    trustProxy: server.trusted_proxies.length > 0 ? [...server.trusted_proxies] : false,
    routerOptions: { ignoreTrailingSlash: true },
    // HEAD on /auth would run the whole grant (bcrypt, signing) and throw the token away.
    exposeHeadRoutes: false,
    ...(https ? { https } : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(store, logger), adapter, {
    logger: nestLogger(logger),
    abortOnError: false,
  });
  if (server.path_prefix) app.setGlobalPrefix(server.path_prefix);
  app.useGlobalFilters(new HttpErrorFilter(logger));
  app.enableShutdownHooks([]);

  const [host, port] = splitAddr(server.addr);
  await app.listen(opts.port ?? port, opts.host ?? host);
  const address = app.getHttpServer().address();
  const boundPort = typeof address === 'object' && address ? address.port : (opts.port ?? port);
  const urlHost = (opts.host ?? host) === '0.0.0.0' || (opts.host ?? host) === '::' ? '127.0.0.1' : (opts.host ?? host);
  const url = `${https ? 'https' : 'http'}://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${boundPort}`;
  logger.info({ url, config: loaded.file, format: loaded.format, kid: snapshot.keys.signer.kid, alg: snapshot.keys.signer.alg }, 'regauth listening');

  return {
    url,
    snapshot: () => store.current,
    async reload() {
      const next = await buildSnapshot(await loadConfigFile(opts.configFile));
      const previous = store.swap(next);
      logger.info({ kid: next.keys.signer.kid }, 'config reloaded');
      for (const warning of next.warnings) logger.warn(warning);
      // Requests that started on the old snapshot may still be using its providers.
      setTimeout(() => void closeSnapshot(previous), previous.config.server.request_timeout).unref();
    },
    async close() {
      await app.close();
      await closeSnapshot(store.current);
      logger.flush?.();
    },
  };
}

function nestLogger(logger: Logger): LoggerService {
  return {
    log: (message: unknown) => logger.debug({ nest: true }, String(message)),
    error: (message: unknown, trace?: unknown) => logger.error({ nest: true, trace }, String(message)),
    warn: (message: unknown) => logger.warn({ nest: true }, String(message)),
    debug: (message: unknown) => logger.debug({ nest: true }, String(message)),
    verbose: (message: unknown) => logger.trace({ nest: true }, String(message)),
  };
}
