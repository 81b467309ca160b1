import { Inject, Injectable, Optional } from '@nestjs/common';
import { revokedBefore } from './revocation-records.js';
import { SharedStore } from './shared-store.js';

/** The shared store was needed to decide and could not be read: the request fails closed (503). */
export class RevocationsUnreadable extends Error {
  override readonly name = 'RevocationsUnreadable';
}

/**
 * What `regauth revoke` recorded, asked on every refresh grant (never cached, so a revocation
 * reaches every replica at its next request). With the memory store nothing can be recorded and
 * every token passes; with Redis an unreadable store refuses the refresh rather than guess, while
 * password logins, which never read it, go on.
 */
@Injectable()
export class RefreshRevocations {
  /** Without a SharedStore (unit tests, no Nest) nothing is revoked. */
  constructor(@Optional() @Inject(SharedStore) private readonly shared?: SharedStore) {}

  /** `issuedAt` in milliseconds since the epoch (the token's iat). */
  async isRevoked(account: string, issuedAt: number, now: number): Promise<boolean> {
    const redis = this.shared?.redis() ?? null;
    if (!redis) return false;
    let before: number | undefined;
    try {
      before = await revokedBefore(redis, account, now);
    } catch (err) {
      throw new RevocationsUnreadable(`shared store unreadable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return before !== undefined && issuedAt <= before;
  }
}
