import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SnapshotStore } from '../config/snapshot-store.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { redisOptions, type RedisStoreConfig } from './redis-options.js';
import type { StoreConfig } from './store.schema.js';

/** `memory`: no shared store configured; otherwise whether Redis answers now. */
export type StoreState = 'memory' | 'connected' | 'unreachable';

/** How often each process PINGs Redis to notice one that stopped answering on an open connection. */
const WATCHDOG_INTERVAL_MS = 1000;

/**
 * The connection to the shared store, one per process, kept across reloads that do not change
 * `store`. Nothing waits for Redis: commands fail at once while it is unreachable (no offline
 * queue, no retries) and after `command_timeout` when it is slow, and each user of the store
 * decides what that failure means (the throttle counts in memory meanwhile). The connection
 * itself retries in the background, so the store comes back without a restart. An outage is
 * logged once when it starts and once when it ends, never per request.
 */
@Injectable()
export class SharedStore implements OnApplicationBootstrap, OnApplicationShutdown {
  /** The config object last seen (one per snapshot) and its settings, to notice a real change. */
  #seen: StoreConfig | null = null;
  #settings = '';
  #client: Redis | null = null;
  #state: StoreState = 'memory';

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SnapshotStore) private readonly snapshots: SnapshotStore,
  ) {}

  get state(): StoreState {
    this.redis();
    return this.#state;
  }

  /** The Redis client of the config in force, or null for the memory store. */
  redis(): Redis | null {
    const config = this.snapshots.current.config.store;
    if (config === this.#seen) return this.#client;
    // A reload brings a new object; the connection is replaced only if the settings differ.
    this.#seen = config;
    const settings = JSON.stringify(config);
    if (settings !== this.#settings) {
      this.#settings = settings;
      this.#replace(config.type === 'redis' ? this.#connect(config) : null);
    }
    return this.#client;
  }

  /**
   * Connects before the first request, waiting at most `connect_timeout`: a Redis that is there
   * counts the first logins too, and one that is not does not hold up the start.
   */
  async onApplicationBootstrap(): Promise<void> {
    const client = this.redis();
    const config = this.snapshots.current.config.store;
    if (!client || config.type !== 'redis' || client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, config.connect_timeout);
      function done(): void {
        clearTimeout(timer);
        client!.off('ready', done).off('error', done);
        resolve();
      }
      client.once('ready', done).once('error', done);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.#replace(null);
  }

  #replace(next: Redis | null): void {
    // disconnect(), not quit(): quit waits for Redis, which may be the thing that is gone.
    this.#client?.disconnect();
    this.#client = next;
    this.#state = next ? 'unreachable' : 'memory';
  }

  #connect(config: RedisStoreConfig): Redis {
    const where = { store: config.url };
    const client = new Redis(config.url, redisOptions(config));
    let announced = false;
    const reachable = (): void => {
      if (this.#client !== client) return;
      if (this.#state === 'unreachable' && announced)
        this.logger.info(where, 'shared store reachable again: failed-login counts are shared and refresh grants served again');
      this.#state = 'connected';
      announced = false;
    };
    client.on('ready', reachable);
    const lost = (err?: Error): void => {
      if (this.#client !== client) return;
      this.#state = 'unreachable';
      if (announced) return;
      announced = true;
      this.logger.warn(
        { ...where, err: err?.message },
        'shared store unreachable: failed-login counts fall back to this process and refresh grants are refused (503) until it is back',
      );
    };
    client.on('error', (err: Error) => lost(err));
    client.on('close', () => lost());
    // ioredis reports a lost connection, not a Redis that stops answering on an open one (its
    // commands just time out, and logins quietly fall back to this process's counts): a PING
    // every second notices that too, so the log, regauth_store_up and /readyz say so.
    const watchdog = setInterval(() => {
      if (this.#client !== client || client.status !== 'ready') return;
      client.ping().then(reachable, (err: Error) => lost(err));
    }, WATCHDOG_INTERVAL_MS);
    watchdog.unref();
    client.once('end', () => clearInterval(watchdog));
    return client;
  }
}
