import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { RegauthConfig } from '../config/config.schema.js';
import { SnapshotStore } from '../config/snapshot-store.js';
import type { Snapshot } from '../config/snapshot.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { Readiness } from './readiness.js';

/**
 * Applies a reloaded config to what lives outside the snapshot: the listening server's timeouts,
 * connection cap and TLS certificate (a renewed certificate needs no restart: new handshakes get
 * it, open connections keep theirs). Trusted proxies, the path prefix and everything in the
 * snapshot follow reloads by themselves. What only a restart can change (the listen address,
 * turning TLS on or off) is logged as such and shown by /readyz until the config matches the
 * running server again; it is never silently ignored.
 */
@Injectable()
export class LiveServerSettings implements OnApplicationBootstrap, OnApplicationShutdown {
  #running: Pick<RegauthConfig, 'server' | 'metrics'> | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(Readiness) private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.#running = this.store.current.config;
    this.#unsubscribe = this.store.onSwap((next, previous) => this.apply(next, previous));
  }

  onApplicationShutdown(): void {
    this.#unsubscribe?.();
  }

  private apply(next: Snapshot, previous: Snapshot): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as (Server & Partial<Pick<TlsServer, 'setSecureContext'>>) | undefined;
    const settings = next.config.server;
    if (server) {
      server.headersTimeout = Math.min(settings.header_timeout, settings.request_timeout);
      server.requestTimeout = settings.request_timeout;
      server.keepAliveTimeout = settings.keep_alive_timeout;
      server.maxConnections = settings.max_connections;
      if (next.tls && previous.tls && typeof server.setSecureContext === 'function' && !sameTls(next, previous)) {
        server.setSecureContext({ cert: next.tls.cert, key: next.tls.key });
        this.logger.info({ certificate: settings.certificate }, 'TLS certificate replaced; new connections use it');
      }
    }
    const running = this.#running ?? next.config;
    const restart = [...restartOnly(running.server, settings), ...restartOnlyMetrics(running.metrics, next.config.metrics)];
    const before = this.readiness.restartRequired;
    this.readiness.setRestartRequired(restart);
    const added = restart.filter((key) => !before.includes(key));
    if (added.length > 0) this.logger.warn({ keys: added }, 'config changes that take effect only after a restart');
  }
}

function sameTls(a: Snapshot, b: Snapshot): boolean {
  return a.tls!.cert.equals(b.tls!.cert) && a.tls!.key.equals(b.tls!.key);
}

/** Settings fixed when the listener was created. */
function restartOnly(running: RegauthConfig['server'], next: RegauthConfig['server']): string[] {
  const keys: string[] = [];
  if (running.addr !== next.addr) keys.push('server.addr');
  if (running.workers !== next.workers) keys.push('server.workers');
  for (const key of ['semi_space_mb', 'old_space_mb'] as const) {
    if (running.worker_memory[key] !== next.worker_memory[key]) keys.push(`server.worker_memory.${key}`);
  }
  if ((running.certificate === undefined) !== (next.certificate === undefined)) keys.push('server.certificate');
  return keys;
}

function restartOnlyMetrics(running: RegauthConfig['metrics'], next: RegauthConfig['metrics']): string[] {
  return running.addr !== next.addr ? ['metrics.addr'] : [];
}
