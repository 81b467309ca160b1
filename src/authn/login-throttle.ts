import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import cluster from 'node:cluster';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { performance } from 'node:perf_hooks';
import { workerShare } from '../common/worker-share.js';
import type { ThrottleConfig } from '../config/config.schema.js';
import { SharedStore } from '../store/shared-store.js';

/** The throttle's answer before any provider work: go on, or refuse for this many seconds. */
export type ThrottleCheck =
  /** `accountCounted`: the account has failures counted, which a successful login clears. */
  { readonly allowed: true; readonly accountCounted: boolean } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Failed logins per client address and per account (docs/security.md rule 7), counted with
 * rate-limiter-flexible's memory store: `max_failures` failures within `window` block that
 * address or account for `block`. Checked before any provider runs, so a blocked attacker costs
 * no bcrypt, directory or script work. A success clears the account's count; anonymous requests
 * and backend errors never count. IPv6 clients are counted per /64, which one host usually owns.
 *
 * The counters survive reloads; they start again only when the throttle settings themselves
 * change. In a cluster they live in the primary (rate-limiter-flexible's cluster store), so the
 * machine counts each failure once whichever worker saw it: N workers must not give an attacker
 * N times the attempts. Memory is bounded by `max_tracked` keys per limiter, shared out among
 * the workers: an attacker with many addresses cannot grow it without end (docs/security.md rule 7).
 *
 * With `store: { type: redis }` the counters live in Redis (rate-limiter-flexible's Redis store),
 * so every replica pointing at it counts together. While Redis is unreachable or slow, each
 * command falls back at once (or after `command_timeout`) to the per-machine counters above,
 * the limiter's insurance: logins go on with this machine's limits, and shared counting resumes
 * by itself when Redis is back (counts made meanwhile stay local). docs/scaling.md.
 */
@Injectable()
export class LoginThrottle {
  /** The config object last seen (one per snapshot) and its settings, to notice a real change. */
  #seen: ThrottleConfig | null = null;
  #settings = '';
  #redis: Redis | null = null;
  #byIp: RateLimiterAbstract | null = null;
  #byAccount: RateLimiterAbstract | null = null;
  #ipKeys: KeyBudget | null = null;
  #accountKeys: KeyBudget | null = null;

  /** Without a SharedStore (unit tests, no Nest), counters are this machine's only. */
  constructor(@Optional() @Inject(SharedStore) private readonly shared?: SharedStore) {}

  /** `account: null` counts the address only (a login whose user name names no one, below). */
  async check(config: ThrottleConfig, ip: string | null, account: string | null): Promise<ThrottleCheck> {
    if (!this.#use(config)) return { allowed: true, accountCounted: false };
    const [byIp, byAccount] = await Promise.all([this.#byIp!.get(ipKey(ip)), account === null ? null : this.#byAccount!.get(account)]);
    const blocked = [byIp, byAccount].filter((res) => res !== null && res.consumedPoints >= config.max_failures);
    if (blocked.length === 0) return { allowed: true, accountCounted: (byAccount?.consumedPoints ?? 0) > 0 };
    const ms = Math.max(...blocked.map((res) => res!.msBeforeNext));
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
  }

  /** How many addresses and accounts have a counter now (for metrics, and to check the bound). */
  tracked(): { readonly addresses: number; readonly accounts: number } {
    return { addresses: this.#ipKeys?.size ?? 0, accounts: this.#accountKeys?.size ?? 0 };
  }

  async failure(config: ThrottleConfig, ip: string | null, account: string | null): Promise<void> {
    if (!this.#use(config)) return;
    await Promise.all([
      this.#count(this.#byIp!, this.#ipKeys!, ipKey(ip), config),
      account === null ? undefined : this.#count(this.#byAccount!, this.#accountKeys!, account, config),
    ]);
  }

  async success(config: ThrottleConfig, account: string): Promise<void> {
    if (!this.#use(config)) return;
    await this.#byAccount!.delete(account);
    this.#accountKeys!.forget(account);
  }

  /** penalty() never rejects; reaching the limit turns the window into a block of its own length. */
  async #count(limiter: RateLimiterAbstract, budget: KeyBudget, key: string, config: ThrottleConfig): Promise<void> {
    if (!budget.admit(key, performance.now() + Math.max(config.window, config.block))) return;
    const res = await limiter.penalty(key, 1);
    if (res.consumedPoints >= config.max_failures) await limiter.block(key, seconds(config.block));
  }

  #use(config: ThrottleConfig): boolean {
    if (!config.enabled) return false;
    const redis = this.shared?.redis() ?? null;
    if (config === this.#seen && redis === this.#redis) return true;
    // A reload brings a new object; counters start again only if the settings really differ,
    // or the store changed (SharedStore keeps its connection while `store` stays the same).
    this.#seen = config;
    const settings = JSON.stringify(config);
    if (settings !== this.#settings || redis !== this.#redis) {
      const options = { points: config.max_failures, duration: seconds(config.window) };
      this.#byIp = limiter({ ...options, keyPrefix: `ip:${digest(settings)}` }, redis);
      this.#byAccount = limiter({ ...options, keyPrefix: `account:${digest(settings)}` }, redis);
      this.#ipKeys = new KeyBudget(workerShare(config.max_tracked));
      this.#accountKeys = new KeyBudget(workerShare(config.max_tracked));
      this.#settings = settings;
      this.#redis = redis;
    }
    return true;
  }
}

/**
 * Which keys may have a counter: at most `max` at once, each until its counter can have expired.
 * The memory store has no size bound of its own. When it is full and nothing has expired, a new
 * key goes uncounted (the other limiter, and the bounded password hashing, still apply) rather
 * than evicting a key that may be close to its block.
 */
export class KeyBudget {
  readonly #until = new Map<string, number>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#until.size;
  }

  admit(key: string, until: number, now = performance.now()): boolean {
    if (this.#until.has(key) || this.#until.size < this.max || this.#prune(now)) {
      // Re-inserting keeps the map in expiry order (every key gets the same lifetime).
      this.#until.delete(key);
      this.#until.set(key, until);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.#until.delete(key);
  }

  /** Drops expired keys, oldest first; true when there is room again. */
  #prune(now: number): boolean {
    for (const [key, until] of this.#until) {
      if (until > now) break;
      this.#until.delete(key);
    }
    return this.#until.size < this.max;
  }
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * The cluster store keeps one limiter per key prefix, created with the options of the first
 * worker that asks for it: the prefix names the settings, so changed settings get new counters.
 * Its worker side has no way to unsubscribe, so limiters of settings seen before are reused.
 */
const clusterLimiters = new Map<string, RateLimiterAbstract>();

interface LimiterOptions {
  readonly points: number;
  readonly duration: number;
  readonly keyPrefix: string;
}

function limiter(options: LimiterOptions, redis: Redis | null): RateLimiterAbstract {
  const machine = machineLimiter(options);
  if (!redis) return machine;
  // rejectIfRedisNotReady: while the connection is down, go to the insurance at once.
  return new RateLimiterRedis({
    ...options,
    keyPrefix: `throttle:${options.keyPrefix}`,
    storeClient: redis,
    insuranceLimiter: machine,
    rejectIfRedisNotReady: true,
  });
}

function machineLimiter(options: LimiterOptions): RateLimiterAbstract {
  if (!cluster.isWorker) return new RateLimiterMemory(options);
  let found = clusterLimiters.get(options.keyPrefix);
  if (!found) {
    found = new RateLimiterCluster({ ...options, timeoutMs: CLUSTER_STORE_TIMEOUT_MS });
    clusterLimiters.set(options.keyPrefix, found);
  }
  return found;
}

/** The primary answers from memory at once; a slower answer means it is gone. */
const CLUSTER_STORE_TIMEOUT_MS = 2000;

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** An IPv6 host usually owns a whole /64: counting single addresses would let it rotate freely. */
export function ipKey(ip: string | null): string {
  if (ip === null) return 'unknown';
  if (!ip.includes(':') || ip.startsWith('::ffff:')) return ip.replace(/^::ffff:/, '');
  const groups = expandIpv6(ip);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const fill = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...(ip.includes('::') ? fill : []), ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
