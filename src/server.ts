import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import cluster from 'node:cluster';
import { AppModule } from './app.module.js';
import { loadConfigFile, type LoadedConfig } from './config/config-loader.js';
import { ConfigReloader } from './config/config-reloader.js';
import { splitAddr } from './config/listen-addr.js';
import { buildSnapshot, closeSnapshot, type Snapshot } from './config/snapshot.js';
import { SnapshotStore } from './config/snapshot-store.js';
import { LOGGER, type Logger, type LogLevel } from './observability/logger.js';
import { refusalResponse, sendRefusal } from './http/refusal-table.js';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:5001 (path_prefix not included). */
  readonly url: string;
  readonly app: NestFastifyApplication;
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

/**
 * How often Node looks for requests past their header or request timeout. Its default (30 s)
 * would let a trickling client hold a connection that long past its deadline.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 500;

/**
 * Node's default (16 KiB for all headers) is too small for a CI job's id token as a Basic
 * password: base64 makes a 16 KiB token (MAX_ID_TOKEN_BYTES) about 22 KiB of header.
 */
const MAX_HEADER_BYTES = 32 * 1024;

/**
 * The Fastify adapter. What it reads from the config through `store` (trusted proxies, the path
 * prefix) follows reloads; what Node fixes when the server is created (http or https, the first
 * TLS context, timeouts) starts from the initial snapshot and is updated on reload by
 * LiveServerSettings.
 */
export function createAdapter(loaded: LoadedConfig, store: SnapshotStore): FastifyAdapter {
  const { server } = loaded.config;
  // A client must send its headers within header_timeout and the whole request (a POST body
  // included) within request_timeout; Node answers 408 and closes the connection otherwise.
  const nodeOptions = {
    headersTimeout: Math.min(server.header_timeout, server.request_timeout),
    requestTimeout: server.request_timeout,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
  };
  const tls = store.current.tls;
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    requestTimeout: server.request_timeout,
    keepAliveTimeout: server.keep_alive_timeout,
    http: nodeOptions,
    // Asked per request, so a reload that changes trusted_proxies applies at once.
    trustProxy: (address: string) => store.current.trustedProxy(address),
    // The prefix is stripped here rather than with Nest's global prefix, which is fixed at start.
    rewriteUrl: (req: { url?: string }) => withoutPrefix(req.url ?? '/', store.current.config.server.path_prefix),
    routerOptions: { ignoreTrailingSlash: true },
    // HEAD on /auth would run the whole grant (bcrypt, signing) and throw the token away.
    exposeHeadRoutes: false,
    // Errors Fastify's router raises before Nest sees the request (a path that is not valid
    // percent-encoding): the same JSON shape as every other refusal, without echoing the URL.
    frameworkErrors: (_err: Error, _req: FastifyRequest, reply: FastifyReply) =>
      sendRefusal(reply, refusalResponse({ code: 'malformed' }, loaded.config.token.issuer)),
    ...(tls ? { https: { ...tls, ...nodeOptions } } : {}),
  });
}

/** Everything outside the prefix is routed to a path no route has: the usual 404. */
const OUTSIDE_PREFIX = '/.regauth-outside-path-prefix';

export function withoutPrefix(url: string, prefix: string): string {
  if (prefix === '') return url;
  if (url === prefix) return '/';
  const next = url.charAt(prefix.length);
  if (url.startsWith(prefix) && (next === '/' || next === '?')) return next === '?' ? `/${url.slice(prefix.length)}` : url.slice(prefix.length);
  return OUTSIDE_PREFIX;
}

/**
 * Loads and checks the whole config, builds the first snapshot, then starts Nest on Fastify.
 * A config error is thrown before Nest exists. Signals are not touched here (see ProcessLifecycle).
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const loaded = await loadConfigFile(opts.configFile);
  const snapshot = await buildSnapshot(loaded);
  const store = new SnapshotStore(snapshot);
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ store, configFile: opts.configFile, logger: opts.logger, logLevel: opts.logLevel }),
      createAdapter(loaded, store),
      { bufferLogs: true, abortOnError: false },
    );
  } catch (err) {
    await closeSnapshot(snapshot);
    throw err;
  }
  const logger = app.get<Logger>(LOGGER);
  app.useLogger(nestLogger(logger));
  for (const file of snapshot.generated) logger.warn({ file }, 'generated development key material (token.generate_missing); do not use it in production');
  // A cluster's primary checked the same config before forking and logged these once for all.
  if (!cluster.isWorker) for (const warning of snapshot.warnings) logger.warn(warning);
  const { server } = loaded.config;

  const [configHost, configPort] = splitAddr(server.addr);
  const host = opts.host ?? configHost;
  try {
    await app.listen(opts.port ?? configPort, host);
  } catch (err) {
    await app.close();
    throw err;
  }
  // Past the cap Node drops new connections at once, before they cost a request.
  app.getHttpServer().maxConnections = server.max_connections;
  const address = app.getHttpServer().address();
  const boundPort = typeof address === 'object' && address ? address.port : (opts.port ?? configPort);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const scheme = server.certificate ? 'https' : 'http';
  const url = `${scheme}://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${boundPort}`;
  logger.info({ url, config: loaded.file, format: loaded.format, kid: snapshot.keys.signer.kid, alg: snapshot.keys.signer.alg }, 'regauth listening');

  return {
    url,
    app,
    snapshot: () => store.current,
    reload: () => app.get(ConfigReloader).reload(),
    close: () => app.close(),
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
