import { Inject, Injectable } from '@nestjs/common';
import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LoginThrottle } from '../authn/login-throttle.js';
import { runningProcessGroups } from '../backends/command/process-runner.js';
import type { BackendOutcome, BackendTrace } from '../common/request-context.js';
import { SharedStore } from '../store/shared-store.js';
import { WorkerChannel } from '../cluster/worker-channel.js';
import { ConfigReloader } from '../config/config-reloader.js';
import { SnapshotStore } from '../config/snapshot-store.js';

/**
 * How one token request ended, as the metrics count it: `granted` (every requested action, or a
 * login without scope), `partial` (some), `denied` (a token granting nothing of what was asked),
 * then the refusals by status.
 */
export type TokenOutcome = 'granted' | 'partial' | 'denied' | 'bad_request' | 'unauthorized' | 'throttled' | 'unavailable' | 'error' | 'abandoned';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics (docs/operations.md lists them). Label values come only from closed sets
 * and from names the operator wrote in the config (provider and authorizer names), never from a
 * request: no usernames, repositories or addresses, so cardinality stays bounded. A registry of
 * its own per app, so several servers in one process (tests) do not collide.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'outcome' | 'grant_type'>;
  readonly #latency: Histogram<'outcome'>;
  readonly #backendCalls: Counter<'kind' | 'name' | 'outcome'>;
  readonly #backendLatency: Histogram<'kind' | 'name'>;
  readonly #tokens: Counter<'kind'>;

  constructor(
    @Inject(SnapshotStore) store: SnapshotStore,
    @Inject(LoginThrottle) throttle: LoginThrottle,
    @Inject(ConfigReloader) reloader: ConfigReloader,
    @Inject(WorkerChannel) private readonly channel: WorkerChannel,
    @Inject(SharedStore) shared: SharedStore,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    if (cluster.isWorker) {
      // The primary sums the workers' registries (prom-client's cluster aggregator): constructing
      // one here installs the worker's answering side, setRegistries says which registry to send.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
    this.#requests = new Counter({
      name: 'regauth_token_requests_total',
      help: 'Token requests by outcome and grant type',
      labelNames: ['outcome', 'grant_type'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'regauth_token_request_duration_seconds',
      help: 'Time to answer a token request, by outcome',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#backendCalls = new Counter({
      name: 'regauth_backend_calls_total',
      help: 'Provider and authorizer calls by configured name and outcome (error: the request got 503)',
      labelNames: ['kind', 'name', 'outcome'],
      registers,
    });
    this.#backendLatency = new Histogram({
      name: 'regauth_backend_call_duration_seconds',
      help: 'Provider and authorizer call time by configured name',
      labelNames: ['kind', 'name'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#tokens = new Counter({ name: 'regauth_tokens_issued_total', help: 'Tokens signed, by kind (access, refresh)', labelNames: ['kind'], registers });
    new Counter({
      name: 'regauth_config_reloads_total',
      help: 'Config reloads by result',
      labelNames: ['result'],
      registers,
      // Every worker counts the same cluster-wide reload: the cluster figure is the max, not the sum.
      aggregator: 'max',
      collect() {
        this.reset();
        this.inc({ result: 'success' }, reloader.stats.succeeded);
        this.inc({ result: 'failure' }, reloader.stats.failed);
      },
    });
    new Gauge({
      name: 'regauth_config_last_reload_success_timestamp_seconds',
      help: 'When a reload last succeeded (0: none since start)',
      registers,
      aggregator: 'max',
      collect() {
        this.set(reloader.stats.lastSuccessSeconds);
      },
    });
    new Gauge({
      name: 'regauth_config_generation',
      help: 'Snapshot in force: 1 at start, +1 per successful reload',
      registers,
      aggregator: 'max',
      collect() {
        this.set(store.generation);
      },
    });
    new Gauge({
      name: 'regauth_password_hashing',
      help: 'bcrypt compares running and waiting for a slot (server.password_hashing)',
      labelNames: ['state'],
      registers,
      collect() {
        const limiter = store.current.passwordHashing;
        this.set({ state: 'running' }, limiter.running);
        this.set({ state: 'waiting' }, limiter.waiting);
      },
    });
    new Gauge({
      name: 'regauth_throttle_tracked',
      help: 'Client addresses and accounts with a failed-login counter',
      labelNames: ['key'],
      registers,
      collect() {
        const tracked = throttle.tracked();
        this.set({ key: 'address' }, tracked.addresses);
        this.set({ key: 'account' }, tracked.accounts);
      },
    });
    new Gauge({
      name: 'regauth_store_up',
      help: 'Whether the shared store (store.type redis) answers: 1 yes, 0 no (throttle counts fall back to this machine); absent with the memory store',
      registers,
      // Across workers, 0 when any of them has lost it.
      aggregator: 'min',
      collect() {
        const state = shared.state;
        if (state === 'memory') this.reset();
        else this.set(state === 'connected' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'regauth_command_processes',
      help: 'ext_auth/ext_authz process groups running',
      registers,
      collect() {
        this.set(runningProcessGroups());
      },
    });
  }

  /** A trace for one request's backend calls. */
  readonly trace: BackendTrace = {
    call: (kind: 'provider' | 'authorizer', name: string, outcome: BackendOutcome, seconds: number): void => {
      this.#backendCalls.inc({ kind, name, outcome });
      this.#backendLatency.observe({ kind, name }, seconds);
    },
  };

  tokenRequest(outcome: TokenOutcome, grantType: string, seconds: number): void {
    this.#requests.inc({ outcome, grant_type: grantType });
    this.#latency.observe({ outcome }, seconds);
  }

  tokenIssued(kind: 'access' | 'refresh'): void {
    this.#tokens.inc({ kind });
  }

  /** This process's metrics, or in a cluster worker those of every worker, summed by the primary. */
  async text(): Promise<{ contentType: string; body: string }> {
    if (!this.channel.active) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const body = await this.channel.clusterMetrics();
    if (body === null) throw new Error('the cluster primary did not send the metrics');
    return { contentType: this.registry.contentType, body };
  }
}
