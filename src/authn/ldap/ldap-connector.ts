import { LdapConnection, type ConnectionSettings } from './ldap-connection.js';
import { LdapError } from './ldap-error.js';
import type { LdapTarget } from './ldap-settings.js';

/** A server that just failed is tried last for this long, so failover does not cost a timeout per login. */
export const FAILED_SERVER_COOLDOWN_MS = 30_000;

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

  async open(signal: AbortSignal): Promise<LdapConnection> {
    if (this.#closed) throw new LdapError('connection_lost', 'the LDAP provider is closed (config reloaded or server stopping)');
    const failures: LdapError[] = [];
    for (const target of this.#order()) {
      try {
        let conn: LdapConnection | undefined = undefined;
        conn = await LdapConnection.open(target, this.settings, signal, () => this.#open.delete(conn!));
        this.#failedUntil.delete(target);
        if (conn.usable) this.#open.add(conn);
        if (this.#closed) conn.destroy();
        return conn;
      } catch (err) {
        if (!(err instanceof LdapError) || err.code === 'aborted') throw err;
        this.#failedUntil.set(target, this.now() + FAILED_SERVER_COOLDOWN_MS);
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0]!;
    // Several servers: a certificate problem is the one an operator must act on, so it leads.
    const code = failures.some((f) => f.code === 'tls_failed') ? 'tls_failed' : 'connect_failed';
    throw new LdapError(code, `no LDAP server answered: ${failures.map((f) => f.message).join('; ')}`);
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#open].map((c) => c.close()));
  }

  /** Healthy servers in configured order, then the ones cooling down (still tried: they may be back). */
  #order(): LdapTarget[] {
    const now = this.now();
    const cooling = (t: LdapTarget): boolean => (this.#failedUntil.get(t) ?? 0) > now;
    return [...this.targets.filter((t) => !cooling(t)), ...this.targets.filter(cooling)];
  }
}
