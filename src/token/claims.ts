import { randomBytes } from 'node:crypto';
import type { AccessEntry } from './token.types.js';

/**
 * The claim set registries read. Times are integer seconds and `aud` a plain string: registry 2.8
 * rejects a float time or an audience array as a malformed token.
 */
export interface AccessClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: readonly AccessEntry[];
}

export interface AccessClaimsInput {
  readonly issuer: string;
  /** The authenticated account; `''` for anonymous (token.md). */
  readonly subject: string;
  /** The request's `service`, the only audience the registry accepts. */
  readonly audience: string;
  readonly access: readonly AccessEntry[];
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly ttlSeconds: number;
  readonly jti: string;
}

/**
 * `nbf` lies 10 s before `iat` (as docker_auth does): a registry whose clock runs behind ours
 * accepts the token at once. Registries allow 60 s on top, so this only matters for larger skews.
 */
export const NOT_BEFORE_SKEW_SECONDS = 10;

export function buildAccessClaims(input: AccessClaimsInput): AccessClaims {
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${input.ttlSeconds}`);
  }
  const iat = Math.floor(input.now / 1000);
  return {
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    exp: iat + input.ttlSeconds,
    nbf: iat - NOT_BEFORE_SKEW_SECONDS,
    iat,
    jti: input.jti,
    access: input.access,
  };
}

/**
 * Random bytes are drawn from the system in blocks: one call per 256 ids instead of one per
 * request (a per-request `randomBytes(16)` was 5% of the CPU of an anonymous pull). Each id still
 * takes 128 bits from the cryptographic source, never reused.
 */
const JTI_BYTES = 16;
let pool = Buffer.alloc(0);
let offset = 0;

/** 128 random bits, base64url: unique enough to trace one token through registry logs. */
export function newJti(): string {
  if (offset + JTI_BYTES > pool.length) {
    pool = randomBytes(JTI_BYTES * 256);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + JTI_BYTES);
  offset += JTI_BYTES;
  return id;
}

export interface TokenResponse {
  readonly token: string;
  readonly access_token: string;
  readonly expires_in: number;
  readonly issued_at: string;
}

/**
 * Both token fields carry the same value because clients disagree on which one they read
 * (c/image `token`; docker, containerd, ggcr, oras `access_token`). `issued_at` must be an RFC 3339
 * string: a number breaks skopeo and containerd.
 */
export function tokenResponse(token: string, claims: Pick<AccessClaims, 'exp' | 'iat'>): TokenResponse {
  return {
    token,
    access_token: token,
    expires_in: claims.exp - claims.iat,
    issued_at: new Date(claims.iat * 1000).toISOString().replace('.000Z', 'Z'),
  };
}
