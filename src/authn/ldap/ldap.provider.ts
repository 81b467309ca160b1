import { SizeLimitExceededError, type Entry } from 'ldapts';
import type { Secret } from '../../common/secret.js';
import { LABEL_LIMITS, LabelError } from '../../common/labels.js';
import { ConcurrencyLimiter } from '../../common/concurrency-limiter.js';
import type { AuthResult, Provider, ProviderBuildContext } from '../provider.js';
import type { RequestContext } from '../../common/request-context.js';
import { canonicalAccount } from './ldap-account.js';
import type { LdapConnection } from './ldap-connection.js';
import { LdapConnector } from './ldap-connector.js';
import { describeError, LDAP_RESULT, LdapError, ldapResultCode } from './ldap-error.js';
import { escapeDnValue, escapeFilterValue, type Template } from './ldap-escape.js';
import { attributeValues, buildLabels, labelValues } from './ldap-labels.js';
import { ServiceConnectionPool } from './ldap-pool.js';
import { resolveLdapSettings, type LdapSettings } from './ldap-settings.js';
import type { LdapProviderConfig } from './ldap.schema.js';

const NO_MATCH: AuthResult = Object.freeze({ kind: 'no_match' });
const DENY: AuthResult = Object.freeze({ kind: 'deny' });

/** An LDAP provider plus what tests need to prove it leaks nothing. */
export interface LdapProvider extends Provider {
  /** Connections open right now (idle pool included). */
  readonly openConnections: number;
}

/**
 * `type: ldap`. Default flow: search the user with the service account (pooled connection),
 * then bind as the found DN with the user's password on a connection of its own, so concurrent
 * logins never share bind state. `initial_bind_as_user` (docker_auth): bind as the user's DN
 * first and search as the user, all on one private connection.
 */
export async function createLdapProvider(config: LdapProviderConfig, ctx: ProviderBuildContext): Promise<LdapProvider> {
  const settings = await resolveLdapSettings(config, ctx.baseDir, ctx.name);
  const warn = ctx.warn ?? ((message: string) => process.emitWarning(message, { code: 'REGAUTH_LDAP' }));
  for (const message of settings.warnings) warn(message);
  for (const file of settings.files) ctx.uses(file);

  const connector = new LdapConnector(settings.targets, settings);
  const mode = settings.mode;
  const pool =
    mode.kind === 'service'
      ? new ServiceConnectionPool(async (signal) => (await connector.open(signal, (conn) => bindService(conn, mode, signal))).conn, settings.poolSize)
      : null;
  const limiter = new ConcurrencyLimiter({ concurrency: settings.concurrency, queue: settings.queue, name: `LDAP provider ${ctx.name}` });
  const flow = new LdapFlow(settings, connector, pool);

  return {
    name: ctx.name,
    get openConnections() {
      return connector.openCount;
    },
    async authenticate(user: string, password: Secret, rctx: RequestContext): Promise<AuthResult> {
      // An empty password is an "unauthenticated bind" that servers accept: it never goes out.
      if (user === '' || password.isEmpty) return NO_MATCH;
      return limiter.run(
        () => (mode.kind === 'user' ? flow.asUser(user, password, rctx.signal) : flow.withServiceAccount(user, password, rctx.signal)),
        rctx.signal,
      );
    },
    async lookup(account: string, rctx: RequestContext) {
      // Without a service account there is no way to look anyone up between logins.
      if (mode.kind === 'user') return { kind: 'unknown' as const };
      if (account === '') return NO_MATCH;
      return limiter.run(() => flow.lookup(account, rctx.signal), rctx.signal);
    },
    async close() {
      await pool?.close();
      await connector.closeAll();
    },
  };
}

class LdapFlow {
  constructor(
    private readonly s: LdapSettings,
    private readonly connector: LdapConnector,
    private readonly pool: ServiceConnectionPool | null,
  ) {}

  async withServiceAccount(user: string, password: Secret, signal: AbortSignal): Promise<AuthResult> {
    const entry = await this.pool!.use((conn) => this.#findUser(conn, this.s.filter, user, signal), signal);
    if (!entry) return NO_MATCH;
    const { conn, result: passwordRight } = await this.connector.open(signal, (c) => this.#bindAsUser(c, entry.dn, password, signal));
    void conn.close();
    if (!passwordRight) return DENY;
    return this.#allow(entry, user, signal, (work) => this.pool!.use(work, signal));
  }

  async asUser(user: string, password: Secret, signal: AbortSignal): Promise<AuthResult> {
    const mode = this.s.mode as Extract<LdapSettings['mode'], { kind: 'user' }>;
    const bindDn = mode.bindDn.render({ account: user }, escapeDnValue);
    const { conn, result: passwordRight } = await this.connector.open(signal, (c) => this.#bindAsUser(c, bindDn, password, signal));
    try {
      if (!passwordRight) return DENY;
      const entry = await this.#findUser(conn, this.s.filter, user, signal);
      if (!entry) return NO_MATCH;
      // docker_auth binds again as the entry found, so the password must also be that entry's.
      if (!(await this.#bindAsUser(conn, entry.dn, password, signal))) return DENY;
      return await this.#allow(entry, user, signal, (work) => work(conn));
    } finally {
      void conn.close();
    }
  }

  /** `account` is the token's `sub`: the canonical name when account_attribute is set (see settings). */
  async lookup(account: string, signal: AbortSignal): Promise<AuthResult> {
    const entry = await this.pool!.use((conn) => this.#findUser(conn, this.s.lookupFilter, account, signal), signal);
    if (!entry) return NO_MATCH;
    return this.#allow(entry, account, signal, (work) => this.pool!.use(work, signal));
  }

  /** 0 entries: not ours. More than one: the filter does not name one account — fail closed. */
  async #findUser(conn: LdapConnection, template: Template, user: string, signal: AbortSignal): Promise<Entry | null> {
    const filter = template.render({ account: user }, escapeFilterValue);
    const result = await this.#search(conn, this.s.base, filter, this.s.entryAttributes, 2, signal);
    if (result.length > 1) {
      throw new LdapError(
        'ambiguous_account',
        `user search under ${this.s.base} found ${result.length} or more entries for one account; make the filter match exactly one`,
      );
    }
    return result[0] ?? null;
  }

  /** true: password right; false: invalid credentials (deny). Anything else is a failure. */
  async #bindAsUser(conn: LdapConnection, dn: string, password: Secret, signal: AbortSignal): Promise<boolean> {
    try {
      await conn.bind(dn, password.reveal(), signal);
      return true;
    } catch (err) {
      const code = ldapResultCode(err);
      if (code === LDAP_RESULT.invalidCredentials) return false;
      // A user name that makes no valid DN cannot be anyone's (initial_bind_as_user).
      if (code === LDAP_RESULT.invalidDnSyntax && this.s.mode.kind === 'user') return false;
      throw asFailure(err, 'bind_failed', `user bind on ${conn.target.label} failed`);
    }
  }

  async #allow(
    entry: Entry,
    user: string,
    signal: AbortSignal,
    withConnection: <T>(work: (conn: LdapConnection) => Promise<T>) => Promise<T>,
  ): Promise<AuthResult> {
    const account = this.s.accountAttribute === null ? null : canonicalAccount(entry, this.s.accountAttribute);
    const group = this.s.groupSearch;
    const extra: Record<string, string[]> = {};
    if (group) {
      const filter = group.filter.render({ dn: entry.dn, account: account ?? user }, escapeFilterValue);
      // No client size limit: with one, ldapts hands back a result cut by either side's limit as if
      // it were complete. Without, a directory-side limit is an error (too_many_values) and ours
      // is checked on the full list, so groups are never silently cut.
      const limit = LABEL_LIMITS.valuesPerKey;
      const groups = await withConnection((conn) => this.#search(conn, group.base, filter, [group.attribute], 0, signal));
      if (groups.length > limit) {
        throw new LdapError('too_many_values', `group search under ${group.base} found more than ${limit} groups; labels are refused rather than cut`);
      }
      extra[group.label] = labelValues(
        groups.flatMap((g) => attributeValues(g, group.attribute)),
        group,
      );
    }
    let labels;
    try {
      labels = buildLabels(entry, this.s.labels, extra);
    } catch (err) {
      if (!(err instanceof LabelError)) throw err;
      throw new LdapError('too_many_values', `labels of ${entry.dn}: ${err.message}`);
    }
    return account === null ? { kind: 'allow', labels } : { kind: 'allow', labels, account };
  }

  async #search(conn: LdapConnection, base: string, filter: string, attributes: readonly string[], sizeLimit: number, signal: AbortSignal): Promise<Entry[]> {
    try {
      const result = await conn.search(
        base,
        // '1.1' asks for no attributes at all: only the DN is needed then.
        { scope: 'sub', derefAliases: 'never', filter, sizeLimit, attributes: attributes.length > 0 ? [...attributes] : ['1.1'] },
        signal,
      );
      return result.searchEntries;
    } catch (err) {
      if (err instanceof SizeLimitExceededError) {
        throw new LdapError('too_many_values', `search under ${base} on ${conn.target.label} reached the directory's size limit; refused rather than cut`);
      }
      throw asFailure(err, 'search_failed', `search under ${base} on ${conn.target.label} failed`);
    }
  }
}

/**
 * The first operation on a pooled connection. Without bind_dn the search is anonymous, as in
 * docker_auth; an explicit anonymous bind still proves the server answers (for failover), and a
 * refusal leaves the connection anonymous, which is all the search needs.
 */
async function bindService(conn: LdapConnection, mode: Extract<LdapSettings['mode'], { kind: 'service' }>, signal: AbortSignal): Promise<void> {
  try {
    await conn.bind(mode.bindDn ?? '', mode.bindDn === null ? '' : mode.password, signal);
  } catch (err) {
    if (mode.bindDn === null && !(err instanceof LdapError)) return;
    throw asFailure(err, 'service_bind_failed', `service account ${mode.bindDn} could not bind on ${conn.target.label}`);
  }
}

/** Keeps our own errors; wraps LDAP result errors with what we were doing. */
function asFailure(err: unknown, code: 'service_bind_failed' | 'bind_failed' | 'search_failed', doing: string): LdapError {
  if (err instanceof LdapError) return err;
  return new LdapError(code, `${doing}: ${describeError(err)}`, { cause: err });
}
