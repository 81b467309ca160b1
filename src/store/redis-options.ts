import type { RedisOptions } from 'ioredis';
import type { StoreConfig } from './store.schema.js';

export type RedisStoreConfig = Extract<StoreConfig, { type: 'redis' }>;

/** Between two reconnection attempts, growing to this bound while Redis stays away. */
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * One reading of `store:` for every client regauth opens, the server's and `regauth revoke`'s, so
 * both find the same keys. Nothing waits for Redis: no offline queue and no retries per command,
 * so a command fails at once while Redis is unreachable and after `command_timeout` when it is
 * slow; the connection itself keeps retrying in the background.
 */
export function redisOptions(config: RedisStoreConfig): RedisOptions {
  return {
    username: config.username,
    password: config.password,
    keyPrefix: config.key_prefix,
    connectTimeout: config.connect_timeout,
    commandTimeout: config.command_timeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
  };
}
