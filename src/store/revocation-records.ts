import type { Redis } from 'ioredis';

/**
 * Refresh-token revocations as they are kept in the shared store (docs/scaling.md): one hash,
 * `<key_prefix>revocations`, with a field per target (`all`, or `account:<name in lower case>`)
 * whose value says which tokens are refused and until when the record matters. A token issued at
 * or before `before` is refused; once `expires` has passed every such token has expired anyway,
 * so the record is ignored and pruned at the next write. One key keeps a refresh grant to one
 * HMGET and `--list` to one HGETALL.
 */
export const REVOCATIONS_KEY = 'revocations';

export type RevocationTarget = { readonly account: string } | 'all';

export interface Revocation {
  readonly target: RevocationTarget;
  /** Milliseconds since the epoch: tokens issued at or before it are refused. */
  readonly before: number;
  /** When the last token the record can refuse has expired. */
  readonly expires: number;
  /** When it was recorded. */
  readonly recorded: number;
}

/** Account names match without regard to case: revoking too much is safe, too little is not. */
export function fieldOf(target: RevocationTarget): string {
  return target === 'all' ? 'all' : `account:${target.account.toLowerCase()}`;
}

/**
 * The latest cutoff that applies to `account` now, or undefined when nothing does. Throws when the
 * store cannot be read; the caller decides what that means (a refresh grant fails closed).
 */
export async function revokedBefore(redis: Redis, account: string, now: number): Promise<number | undefined> {
  const values = await redis.hmget(REVOCATIONS_KEY, 'all', fieldOf({ account }));
  const cutoffs = values
    .map(parseRecord)
    .filter((r) => r !== undefined && r.expires > now)
    .map((r) => r!.before);
  return cutoffs.length > 0 ? Math.max(...cutoffs) : undefined;
}

export async function listRevocations(redis: Redis, now: number): Promise<Revocation[]> {
  const all = await redis.hgetall(REVOCATIONS_KEY);
  return Object.values(all)
    .map(parseRecord)
    .filter((r): r is Revocation => r !== undefined && r.expires > now)
    .sort((a, b) => a.recorded - b.recorded);
}

export interface RecordOutcome {
  readonly revocation: Revocation;
  /** A record already there refused at least as much; it was kept as it is. */
  readonly kept: boolean;
}

/**
 * Records a revocation, keeping the later cutoff when the target already has one, and prunes
 * expired records. Runs under WATCH so two operators revoking at once cannot lose a cutoff; the
 * key itself expires with its last record.
 */
export async function recordRevocation(redis: Redis, wanted: Revocation): Promise<RecordOutcome> {
  const field = fieldOf(wanted.target);
  for (let attempt = 0; attempt < 10; attempt++) {
    await redis.watch(REVOCATIONS_KEY);
    const stored = await redis.hgetall(REVOCATIONS_KEY);
    const current = parseRecord(stored[field]);
    if (current && current.expires > wanted.recorded && current.before >= wanted.before) {
      await redis.unwatch();
      return { revocation: current, kept: true };
    }
    const expired = Object.entries(stored)
      .filter(([name, value]) => name !== field && (parseRecord(value)?.expires ?? 0) <= wanted.recorded)
      .map(([name]) => name);
    const live = Object.entries(stored)
      .filter(([name]) => name !== field && !expired.includes(name))
      .map(([, value]) => parseRecord(value)!.expires);
    const tx = redis.multi().hset(REVOCATIONS_KEY, field, JSON.stringify(toStored(wanted)));
    if (expired.length > 0) tx.hdel(REVOCATIONS_KEY, ...expired);
    tx.pexpireat(REVOCATIONS_KEY, Math.max(wanted.expires, ...live));
    // exec() answers null when the key changed since WATCH: read again and retry.
    if ((await tx.exec()) !== null) return { revocation: wanted, kept: false };
  }
  throw new Error('the revocation list kept changing while it was being written; try again');
}

interface StoredRevocation {
  readonly account?: string;
  readonly before: number;
  readonly expires: number;
  readonly recorded: number;
}

function toStored(r: Revocation): StoredRevocation {
  return { ...(r.target === 'all' ? {} : { account: r.target.account }), before: r.before, expires: r.expires, recorded: r.recorded };
}

/** A value regauth did not write (or a newer format) is ignored rather than trusted. */
function parseRecord(value: string | null | undefined): Revocation | undefined {
  if (!value) return undefined;
  let parsed: Partial<Record<keyof StoredRevocation, unknown>>;
  try {
    parsed = JSON.parse(value) as typeof parsed;
  } catch {
    return undefined;
  }
  const { account, before, expires, recorded } = parsed ?? {};
  if (![before, expires, recorded].every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  if (account !== undefined && typeof account !== 'string') return undefined;
  const target: RevocationTarget = account === undefined ? 'all' : { account };
  return { target, before: before as number, expires: expires as number, recorded: recorded as number };
}
