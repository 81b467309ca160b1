import { Redis } from 'ioredis';
import { loadConfigFile } from '../config/config-loader.js';
import { redisOptions, type RedisStoreConfig } from '../store/redis-options.js';
import { listRevocations, recordRevocation, type Revocation, type RevocationTarget } from '../store/revocation-records.js';
import { configPath, parseOptions, UsageError, type Command } from './command.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export const revokeCommand: Command = {
  summary: 'refuse refresh tokens on every replica (shared store): --account NAME, --all, --list',
  usage: `Usage: regauth revoke (--account NAME ... | --all | --list) [--before TIME] [--config FILE]

Records in the shared store (store.type: redis) that refresh tokens issued at or before a time
are refused: those of one account (--account, repeatable, any case), or of everyone (--all).
Every replica reads the record at its next refresh grant; no reload, no secret rotation. Tokens
issued later, and password logins, are not affected. The time is now unless --before gives an
earlier one (RFC 3339, e.g. 2026-12-01T00:00:00Z). Tokens carry their issue time in seconds, so
one issued in the same second as the cutoff is refused too.
A record expires by itself once every token it can refuse has expired (token.refresh.expiration
after the cutoff). --list prints the records in force.
With the memory store there is nothing shared to record in: use token.refresh.not_before in the
config instead (it refuses every account's tokens issued before it).`,
  async run(argv) {
    const { values } = parseOptions(argv, {
      config: { type: 'string' },
      account: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      before: { type: 'string' },
    });
    const accounts = values.account ?? [];
    const modes = [accounts.length > 0, values.all, values.list].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('give exactly one of --account NAME, --all or --list');
    if (values.list && values.before !== undefined) throw new UsageError('--before goes with --account or --all, not --list');
    if (accounts.some((a) => a.trim() === '')) throw new UsageError('--account: an account name is required');
    const now = Date.now();
    const before = values.before === undefined ? now : parseTime(values.before, now);

    const file = await configPath(values.config);
    const { config } = await loadConfigFile(file);
    if (!config.token.refresh) {
      process.stderr.write(`regauth revoke: refresh tokens are off in ${file} (token.refresh is not set): there is nothing to revoke\n`);
      return 1;
    }
    if (config.store.type !== 'redis') {
      process.stderr.write(
        `regauth revoke: ${file} keeps its state in memory (store.type: memory), so there is nowhere every replica would read a revocation.\n` +
          `  Point every replica at the same Redis (store: { type: redis, url: ... }; docs/scaling.md), or\n` +
          `  refuse every refresh token issued before a time with token.refresh.not_before in the config and reload.\n`,
      );
      return 1;
    }
    const redis = await connect(config.store);
    try {
      if (values.list) return await list(redis, config.store, now);
      const targets: RevocationTarget[] = values.all ? ['all'] : accounts.map((account) => ({ account }));
      for (const target of targets) {
        const { revocation, kept } = await recordRevocation(redis, { target, before, expires: before + config.token.refresh.expiration, recorded: now });
        process.stdout.write(
          kept
            ? `already revoked: ${describe(revocation)}; left as it is\n`
            : `revoked: ${describe(revocation)}, on every replica using ${config.store.url} (record expires ${iso(revocation.expires)})\n`,
        );
      }
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};

function parseTime(text: string, now: number): number {
  const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--before: expected an RFC 3339 time such as 2026-12-01T00:00:00Z, got "${text}"`);
  // A cutoff in the future would also refuse tokens not issued yet: that is not_before's job, with its warning.
  if (ms > now) throw new UsageError(`--before: ${text} is in the future`);
  return ms;
}

/** One attempt, no reconnection: a command line should say at once that Redis is not there. */
async function connect(store: RedisStoreConfig): Promise<Redis> {
  const redis = new Redis(store.url, { ...redisOptions(store), lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {}); // reported by connect() below
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach the shared store ${store.url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return redis;
}

async function list(redis: Redis, store: RedisStoreConfig, now: number): Promise<number> {
  const records = await listRevocations(redis, now);
  if (records.length === 0) {
    process.stdout.write(`no revocations in force (${store.url}, key prefix ${store.key_prefix})\n`);
    return 0;
  }
  const rows = records.map((r) => [r.target === 'all' ? 'all accounts' : `account ${r.target.account}`, iso(r.before), iso(r.recorded), iso(r.expires)]);
  const table = [['REVOKED', 'ISSUED AT OR BEFORE', 'RECORDED', 'EXPIRES'], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

function describe(r: Revocation): string {
  const whose = r.target === 'all' ? 'every account' : `account "${r.target.account}"`;
  return `refresh tokens of ${whose} issued at or before ${iso(r.before)} are refused`;
}

const iso = (ms: number): string => new Date(ms).toISOString();
