import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { splitAddr } from '../config/listen-addr.js';
import { SnapshotStore } from '../config/snapshot-store.js';
import { LOGGER, type Logger } from './logger.js';
import { Metrics } from './metrics.js';

/**
 * `metrics.addr`: /metrics on a listener of its own (an internal interface, a sidecar port), so
 * the token listener need not expose it. Plain HTTP, GET /metrics only; it reads counters and
 * never reaches a backend. Its address is fixed at start (a reload reports a change as needing a
 * restart).
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  #server: Server | null = null;

  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Where it listens, once started: for the banner and tests. */
  get address(): string | null {
    const bound = this.#server?.address();
    return bound && typeof bound === 'object' ? `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}` : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { enabled, addr } = this.store.current.config.metrics;
    if (!enabled || addr === undefined) return;
    const [host, port] = splitAddr(addr);
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      this.metrics.text().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    });
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host || undefined, () => resolve());
    });
    this.#server = server;
    this.logger.info({ addr: this.address }, 'metrics listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
