import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import { OverloadedError } from '../../common/concurrency-limiter.js';
import { toLabels, type Labels } from '../../common/labels.js';
import type { RequestContext } from '../../common/request-context.js';
import type { Secret } from '../../common/secret.js';
import type { AuthResult, Provider, ProviderBuildContext } from '../provider.js';
import type { StaticProviderConfig } from './static.schema.js';

/** OWASP's floor for bcrypt; below it, a leaked config's hashes fall to a GPU quickly. */
const MIN_RECOMMENDED_COST = 10;

/** bcrypt reads at most 72 bytes; a longer password would be checked by its prefix only. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

interface StaticUser {
  readonly hash: string | null; // null: the anonymous user
  readonly labels: Labels;
  readonly credential?: string;
}

/**
 * Binds refresh tokens to the password: a new hash (even of the same password, bcrypt salts
 * every hash) gives a new fingerprint. A one-way digest, so the token (readable by its holder)
 * says nothing about the hash.
 */
function fingerprint(hash: string): string {
  return createHash('sha256').update('regauth static credential\0').update(hash).digest('base64url').slice(0, 22);
}

/**
 * The native bcrypt binding knows $2a$ and $2b$ only; $2y$ is the identical algorithm under
 * PHP's prefix, so it is verified as $2b$.
 */
function normaliseHash(hash: string): string {
  return hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash;
}

function costOf(hash: string): number {
  return Number(hash.slice(4, 6));
}

export async function createStaticProvider(config: StaticProviderConfig, ctx: ProviderBuildContext): Promise<Provider> {
  const users = new Map<string, StaticUser>();
  for (const [name, entry] of Object.entries(config.users)) {
    const labels = toLabels(entry.labels ?? {});
    users.set(name, entry.password ? { hash: normaliseHash(entry.password), labels, credential: fingerprint(entry.password) } : { hash: null, labels });
  }
  // Unknown users are compared against a hash of the same cost as real ones, so response time
  // does not tell an attacker which names exist (docs/security.md rule 5).
  const costs = [...users.values()].flatMap((u) => (u.hash ? [costOf(u.hash)] : []));
  const cheap = [...users].flatMap(([name, u]) => (u.hash && costOf(u.hash) < MIN_RECOMMENDED_COST ? [name] : []));
  if (cheap.length > 0) {
    const warn = ctx.warn ?? ((message: string) => process.emitWarning(message, { code: 'REGAUTH_STATIC' }));
    const listed = cheap.length > 5 ? `${cheap.slice(0, 5).join(', ')} and ${cheap.length - 5} more` : cheap.join(', ');
    warn(
      `static provider ${ctx.name}: bcrypt cost below ${MIN_RECOMMENDED_COST} for ${listed}; such hashes are cheap to brute-force if the config leaks (regauth hash-password uses ${MIN_RECOMMENDED_COST} by default)`,
    );
  }
  const dummyHash = await bcrypt.hash('regauth-dummy-password', costs.length ? Math.max(...costs) : 10);

  // Every compare, real or dummy, waits for a slot of the config-wide bound and never starts once
  // the request's deadline has passed: a flood of wrong passwords or unknown names queues here
  // (and past the queue gets 503) instead of filling libuv's thread pool, which every other
  // backend's DNS, TLS and file work shares (docs/security.md rule 8).
  const compare = (password: Secret, hash: string, signal: AbortSignal): Promise<boolean> =>
    ctx.passwordHashing.run(() => {
      signal.throwIfAborted();
      return bcrypt.compare(password.reveal(), hash);
    }, signal);

  // The dummy compare for a name this provider does not know hides whether the name exists. It
  // waits for a slot like any compare, but when the queue is full it is skipped rather than
  // answered with 503: the name may belong to a later provider, and a flood of wrong passwords
  // must not lock that provider's users out (docs/security.md rules 5 and 8).
  const dummyCompare = async (password: Secret, signal: AbortSignal): Promise<void> => {
    try {
      await compare(password, dummyHash, signal);
    } catch (err) {
      if (!(err instanceof OverloadedError)) throw err;
    }
  };

  return {
    name: ctx.name,
    async authenticate(user: string, password: Secret, reqCtx: RequestContext): Promise<AuthResult> {
      const entry = users.get(user);
      if (user === '') {
        // Anonymous is "no credentials at all"; the caller never sends an empty user with a password.
        return entry && password.isEmpty ? { kind: 'allow', labels: entry.labels } : { kind: 'no_match' };
      }
      if (!entry || entry.hash === null) {
        await dummyCompare(password, reqCtx.signal);
        return { kind: 'no_match' };
      }
      if (password.byteLength > BCRYPT_MAX_PASSWORD_BYTES) {
        // Same cost as any other answer, so a long password cannot probe which users exist.
        await compare(password, dummyHash, reqCtx.signal);
        return { kind: 'deny' };
      }
      // bcrypt runs on libuv's thread pool: the event loop keeps serving while it hashes.
      const ok = await compare(password, entry.hash, reqCtx.signal);
      return ok ? { kind: 'allow', labels: entry.labels, credential: entry.credential } : { kind: 'deny' };
    },
    async lookup(account: string) {
      const entry = users.get(account);
      return entry ? { kind: 'allow', labels: entry.labels, credential: entry.credential } : { kind: 'no_match' };
    },
  };
}
