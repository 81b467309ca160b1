import { LdapConnection, type ConnectionSettings } from './ldap-connection.js';
import { LdapError, type LdapErrorCode } from './ldap-error.js';
import type { LdapTarget } from './ldap-settings.js';

/** A server that just failed is tried last for this long, so failover does not cost a timeout per login. */
export const FAILED_SERVER_COOLDOWN_MS = 30_000;

/**
 * How the first operation on a new connection fails when the server is not answering (rather
 * than answering no). The request deadline counts too: with `server.request_timeout` shorter
 * than `timeout`, a hung server would otherwise never be set aside.
 */
const SILENT_SERVER: ReadonlySet<LdapErrorCode> = new Set(['timeout', 'connection_lost', 'aborted']);

export interface Opened<T> {
  readonly conn: LdapConnection;
  /** What the first operation returned. */
  readonly result: T;
}

/**
 * Opens connections to the first server that answers, in configured order. It also keeps every
 * open connection in a set, so `closeAll` at shutdown or reload leaves nothing behind.
 */
export class LdapConnector {
  readonly #failedUntil = new Map<LdapTarget, number>();
  readonly #open = new Set<LdapConnection>();
  #closed = false;

  constructor(
    private readonly targets: readonly LdapTarget[],
    private readonly settings: ConnectionSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Connections currently open (pooled, in use, or closing): for leak checks. */
  get openCount(): number {
    return this.#open.size;
  }

  /**
   * Connects and runs `first` (a bind) on the new connection. A server counts as up only once
   * it has answered that operation: a hung server still completes the TCP handshake in the
   * kernel, so a connect alone proves nothing. When it stays silent the connection is dropped,
   * the server cools down, and the next one is tried while the request's deadline allows.
   * An answer, even a refusal, ends the search: replicas give the same answers.
   */
  async open<T>(signal: AbortSignal, first: (conn: LdapConnection) => Promise<T>): Promise<Opened<T>> {
    const failures: LdapError[] = [];
    for (const target of this.#order()) {
      this.#assertOpen();
      // Not this server's fault: do not set it aside for a deadline that passed before we began.
      if (signal.aborted) throw new LdapError('aborted', `request deadline reached before connecting to ${target.label}`);
      let conn: LdapConnection;
      try {
        conn = await this.#connect(target, signal);
      } catch (err) {
        if (!(err instanceof LdapError)) throw err;
        this.#setAside(target);
        if (err.code === 'aborted') throw err;
        failures.push(err);
        continue;
      }
      try {
        this.#assertOpen();
        const result = await first(conn);
        this.#failedUntil.delete(target);
        return { conn, result };
      } catch (err) {
        conn.destroy();
        if (this.#closed || !(err instanceof LdapError) || !SILENT_SERVER.has(err.code)) throw err;
        this.#setAside(target);
        if (err.code === 'aborted') throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    throw new LdapError(summaryCode(failures), `no LDAP server answered: ${failures.map((f) => f.message).join('; ')}`);
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#open].map((c) => c.close()));
  }

  async #connect(target: LdapTarget, signal: AbortSignal): Promise<LdapConnection> {
    let conn: LdapConnection | undefined = undefined;
    conn = await LdapConnection.open(target, this.settings, signal, () => this.#open.delete(conn!));
    if (conn.usable) this.#open.add(conn);
    return conn;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LdapError('connection_lost', 'the LDAP provider is closed (config reloaded or server stopping)');
  }

  #setAside(target: LdapTarget): void {
    this.#failedUntil.set(target, this.now() + FAILED_SERVER_COOLDOWN_MS);
  }

  /** Healthy servers in configured order, then the ones cooling down (still tried: they may be back). */
  #order(): LdapTarget[] {
    const now = this.now();
    const cooling = (t: LdapTarget): boolean => (this.#failedUntil.get(t) ?? 0) > now;
    return [...this.targets.filter((t) => !cooling(t)), ...this.targets.filter(cooling)];
  }
}

/** Several servers failed: a certificate problem is the one an operator must act on, so it leads. */
function summaryCode(failures: readonly LdapError[]): LdapErrorCode {
  if (failures.some((f) => f.code === 'tls_failed')) return 'tls_failed';
  const codes = new Set(failures.map((f) => f.code));
  return codes.size === 1 ? failures[0].code : 'connect_failed';
}
