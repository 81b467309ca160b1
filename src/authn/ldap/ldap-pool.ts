import type { LdapConnection } from './ldap-connection.js';
import { LdapError, type LdapErrorCode } from './ldap-error.js';

/** Servers drop idle connections (olcIdleTimeout, firewalls); we let ours go first. */
export const POOL_IDLE_TIMEOUT_MS = 30_000;

/** Failures that are the server's answer to a search, on a connection that is still fine. */
const ANSWERED: ReadonlySet<LdapErrorCode> = new Set(['search_failed', 'ambiguous_account']);

interface Idle {
  readonly conn: LdapConnection;
  readonly timer: NodeJS.Timeout;
}

/**
 * Service-account connections, bound once and reused for searches. A connection serves one
 * request at a time (checked out, then returned), so a request that hits its deadline can
 * destroy its connection without touching anyone else's. At most `maxIdle` wait between
 * requests; a burst opens more and closes the extras when they come back.
 */
export class ServiceConnectionPool {
  readonly #idle: Idle[] = [];
  #closed = false;

  constructor(
    /** Opens and binds a fresh connection (service account, or anonymous without bind_dn). */
    private readonly openBound: (signal: AbortSignal) => Promise<LdapConnection>,
    private readonly maxIdle: number,
    private readonly idleTimeoutMs = POOL_IDLE_TIMEOUT_MS,
  ) {}

  get idleCount(): number {
    return this.#idle.length;
  }

  /**
   * Runs `work` on a bound connection. A pooled connection may have died while idle in a way
   * the socket has not reported yet; when it fails as lost, the work runs once more on a fresh
   * one. A failure destroys the connection it happened on, unless the server answered it.
   */
  async use<T>(work: (conn: LdapConnection) => Promise<T>, signal: AbortSignal): Promise<T> {
    const pooled = this.#take();
    if (pooled) {
      try {
        return await this.#run(pooled, work);
      } catch (err) {
        if (!(err instanceof LdapError && err.code === 'connection_lost') || signal.aborted) throw err;
      }
    }
    return this.#run(await this.openBound(signal), work);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    await Promise.allSettled(
      idle.map(({ conn, timer }) => {
        clearTimeout(timer);
        return conn.close();
      }),
    );
  }

  async #run<T>(conn: LdapConnection, work: (conn: LdapConnection) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work(conn);
    } catch (err) {
      // A refusal (bad base, no access, several entries) leaves the connection as good as it was;
      // dropping it would cost a reconnect per login while the config is wrong.
      if (err instanceof LdapError && ANSWERED.has(err.code)) this.#giveBack(conn);
      else conn.destroy();
      throw err;
    }
    this.#giveBack(conn);
    return result;
  }

  #take(): LdapConnection | undefined {
    while (this.#idle.length > 0) {
      const { conn, timer } = this.#idle.pop()!;
      clearTimeout(timer);
      if (conn.usable) {
        conn.setIdle(false);
        return conn;
      }
    }
    return undefined;
  }

  #giveBack(conn: LdapConnection): void {
    if (this.#closed || !conn.usable || this.#idle.length >= this.maxIdle) {
      void conn.close();
      return;
    }
    conn.setIdle(true);
    const entry: Idle = {
      conn,
      timer: setTimeout(() => {
        const at = this.#idle.indexOf(entry);
        if (at >= 0) this.#idle.splice(at, 1);
        void conn.close();
      }, this.idleTimeoutMs).unref(),
    };
    this.#idle.push(entry);
  }
}
