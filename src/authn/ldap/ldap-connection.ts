import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions, type TLSSocket } from 'node:tls';
import { Client, type SearchOptions, type SearchResult } from 'ldapts';
import { describeError, LdapError, ldapResultCode, type LdapErrorCode } from './ldap-error.js';
import type { LdapTarget } from './ldap-settings.js';

export interface ConnectionSettings {
  readonly tls: Readonly<TlsOptions>;
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
}

/** Certificate problems, as Node's TLS layer names them: the operator must fix trust, not wait. */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/**
 * One LDAP connection, owned by one user at a time. We open the socket ourselves (so connect and
 * TLS failures are told apart, with our own timeout) and hand it to ldapts. ldapts silently
 * reconnects a dropped connection on the next operation — unbound and, after StartTLS, in clear
 * text — so the socket factory given to it works exactly once: a lost connection stays lost, and
 * the operation fails with `connection_lost` instead of running somewhere it should not.
 */
export class LdapConnection {
  readonly #client: Client;
  readonly #sockets: Socket[] = [];
  /** Operations in flight, told when the connection ends (ldapts misses a closed StartTLS socket). */
  readonly #waiting = new Set<() => void>();
  #lost = false;

  private constructor(
    readonly target: LdapTarget,
    private readonly settings: ConnectionSettings,
    socket: Socket,
    private readonly onEnd: () => void,
  ) {
    this.#track(socket);
    let plainUsed = false;
    let tlsUsed = false;
    const lostError = (): LdapError => new LdapError('connection_lost', `connection to ${target.label} was closed`);
    this.#client = new Client({
      // The URL only tells ldapts it is talking LDAP; the socket is ours, already connected.
      url: `ldap://${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`,
      timeout: settings.operationTimeoutMs,
      connectTimeout: settings.connectTimeoutMs,
      createConnection: () => {
        if (plainUsed || this.#lost) throw lostError();
        plainUsed = true;
        return socket;
      },
      createSecureConnection: ((options: TlsOptions) => {
        // Only StartTLS gets here: it wraps the socket it already has.
        if (tlsUsed || this.#lost) throw lostError();
        tlsUsed = true;
        const secure = tlsConnect({ ...options, ...tlsTargetOptions(target, settings.tls) });
        this.#track(secure);
        return secure;
      }) as typeof tlsConnect,
    });
  }

  /** Connects (TCP, TLS for ldaps, StartTLS when configured) within the connect timeout. */
  static async open(target: LdapTarget, settings: ConnectionSettings, signal: AbortSignal, onEnd: () => void = () => {}): Promise<LdapConnection> {
    const socket = await connectSocket(target, settings, signal);
    const conn = new LdapConnection(target, settings, socket, onEnd);
    if (target.security === 'starttls') {
      try {
        await conn.#guard('StartTLS', signal, settings.connectTimeoutMs, () => conn.#client.startTLS({}));
      } catch (err) {
        conn.destroy();
        if (err instanceof LdapError && err.code === 'aborted') throw err;
        throw tlsError(target, err);
      }
    }
    return conn;
  }

  /** False once the socket closed or the connection was destroyed: never reuse it then. */
  get usable(): boolean {
    return !this.#lost;
  }

  bind(dn: string, password: string, signal: AbortSignal): Promise<void> {
    return this.#guard('bind', signal, this.settings.operationTimeoutMs, () => this.#client.bind(dn, password));
  }

  search(base: string, options: SearchOptions, signal: AbortSignal): Promise<SearchResult> {
    return this.#guard('search', signal, this.settings.operationTimeoutMs, () => this.#client.search(base, options));
  }

  /** Idle pooled connections must not keep the process alive on their own. */
  setIdle(idle: boolean): void {
    for (const s of this.#sockets) {
      if (idle) s.unref();
      else s.ref();
    }
  }

  /** Unbind politely (bounded), then make sure every socket is gone. */
  async close(): Promise<void> {
    if (!this.#lost) {
      const unbind = this.#client.unbind().catch(() => undefined);
      await Promise.race([unbind, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    this.destroy();
  }

  destroy(): void {
    for (const s of this.#sockets) s.destroy();
    this.#end();
  }

  #end(): void {
    if (this.#lost) return;
    this.#lost = true;
    for (const notify of this.#waiting) notify();
    this.onEnd();
  }

  #track(socket: Socket): void {
    this.#sockets.push(socket);
    // Until ldapts adopts the socket, nobody else listens for its errors; 'close' follows them.
    socket.on('error', () => {});
    socket.once('close', () => this.#end());
  }

  /**
   * Runs one operation under the request's deadline and a timeout of our own (ldapts' timer
   * does not cover the StartTLS handshake). Either one destroys the connection: a half-finished
   * operation leaves it in an unknown state.
   */
  #guard<T>(what: string, signal: AbortSignal, timeoutMs: number, op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stop = (code: LdapErrorCode, message: string): void => {
        cleanup();
        this.destroy();
        reject(new LdapError(code, message));
      };
      const onAbort = (): void => stop('aborted', `request deadline reached during ${what} on ${this.target.label}`);
      const onLost = (): void => stop('connection_lost', `connection to ${this.target.label} closed during ${what}`);
      const timer = setTimeout(() => stop('timeout', `${what} on ${this.target.label} timed out after ${timeoutMs} ms`), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiting.delete(onLost);
      };
      if (signal.aborted) return onAbort();
      if (this.#lost) return onLost();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(onLost);
      op().then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (err: unknown) => {
          cleanup();
          reject(this.#classify(what, err));
        },
      );
    });
  }

  #classify(what: string, err: unknown): Error {
    if (err instanceof LdapError) return err;
    if (ldapResultCode(err) !== undefined) return err as Error; // an LDAP answer (ldapts' ResultCodeError): the caller decides
    const text = describeError(err);
    if (/timed out/i.test(text)) {
      return new LdapError('timeout', `${what} on ${this.target.label} timed out after ${this.settings.operationTimeoutMs} ms`, { cause: err });
    }
    return new LdapError('connection_lost', `${what} on ${this.target.label} failed: ${text}`, { cause: err });
  }
}

/** TLS options for this server: hostname checked against the certificate, SNI for names only. */
function tlsTargetOptions(target: LdapTarget, tls: Readonly<TlsOptions>): TlsOptions {
  return { ...tls, host: target.host, ...(isIP(target.host) === 0 ? { servername: target.host } : {}) };
}

function tlsError(target: LdapTarget, err: unknown): LdapError {
  const root = err instanceof LdapError && err.cause !== undefined ? err.cause : err;
  const code = (root as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CERTIFICATE_CODE.test(code)) {
    return new LdapError('tls_failed', `certificate of ${target.label} is not trusted (${describeError(root)}); set ca_certificate to the CA that issued it`, {
      cause: root,
    });
  }
  if (err instanceof LdapError) return new LdapError('tls_failed', `TLS with ${target.label}: ${err.message}`, { cause: err });
  return new LdapError('tls_failed', `TLS handshake with ${target.label} failed: ${describeError(err)}`, { cause: err });
}

/** TCP (and TLS for ldaps) connect with its own timeout; failures say which layer failed. */
function connectSocket(target: LdapTarget, settings: ConnectionSettings, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new LdapError('aborted', `request deadline reached before connecting to ${target.label}`));
      return;
    }
    let tcpUp = false;
    const socket: Socket | TLSSocket =
      target.security === 'ldaps'
        ? tlsConnect({ port: target.port, ...tlsTargetOptions(target, settings.tls) })
        : netConnect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const fail = (err: LdapError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new LdapError('aborted', `request deadline reached while connecting to ${target.label}`));
    const timer = setTimeout(() => {
      fail(
        tcpUp
          ? new LdapError('tls_failed', `TLS handshake with ${target.label} timed out after ${settings.connectTimeoutMs} ms`)
          : new LdapError('connect_failed', `connect to ${target.label} timed out after ${settings.connectTimeoutMs} ms`),
      );
    }, settings.connectTimeoutMs);
    const onError = (err: Error): void => {
      fail(tcpUp ? tlsError(target, err) : new LdapError('connect_failed', `cannot connect to ${target.label}: ${describeError(err)}`, { cause: err }));
    };
    const onReady = (): void => {
      cleanup();
      resolve(socket);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.removeListener(target.security === 'ldaps' ? 'secureConnect' : 'connect', onReady);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      tcpUp = true;
    });
    socket.once('error', onError);
    socket.once(target.security === 'ldaps' ? 'secureConnect' : 'connect', onReady);
  });
}
