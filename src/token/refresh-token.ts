import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Labels } from '../common/labels.js';
import { newJti } from './claims.js';

export const MIN_REFRESH_SECRET_BYTES = 32;
/** A refresh token that would expire sooner is not worth a client's storing it. */
const MIN_LIFETIME_SECONDS = 60;
/**
 * Bounds the HMAC work an attacker can ask for. Tokens that carry labels (CI identities) can be a
 * few KiB; one that would be longer is not issued.
 */
const MAX_TOKEN_LENGTH = 8192;

/**
 * A header of its own: `typ` differs from access tokens, and HS256 is an algorithm no registry
 * has a key for, so a refresh token can never pass as a registry token, nor an access token as a
 * refresh token (the header must match byte for byte).
 */
const HEADER_SEGMENT = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'rt+jwt' })).toString('base64url');
const HEADER_TYP = 'rt+jwt';
const CLAIM_TYP = 'refresh';

export type RefreshFailure = 'malformed' | 'bad_signature' | 'expired' | 'revoked' | 'wrong_service' | 'wrong_type' | 'wrong_issuer';

export interface VerifiedRefresh {
  readonly ok: true;
  readonly subject: string;
  readonly provider: string;
  readonly jti: string;
  /** Milliseconds since the epoch, at the claim's second precision. */
  readonly issuedAt: number;
  /** The credential fingerprint the token was issued for, when the provider gave one. */
  readonly credential: string | undefined;
  /** Labels carried by the token, for identities no provider can look up again. */
  readonly labels?: Labels;
}

export type RefreshVerification = VerifiedRefresh | { readonly ok: false; readonly reason: RefreshFailure };

export interface RefreshTokensOptions {
  /** HMAC-SHA256 secrets, ≥ 32 bytes each. The first signs, all verify: add a new one first to rotate. */
  readonly secrets: readonly Buffer[];
  readonly issuer: string;
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch: tokens issued before it are refused (token.refresh.not_before). */
  readonly notBefore?: number;
}

export interface RefreshIssueInput {
  readonly subject: string;
  /** The `service` (registry audience) the token is bound to. */
  readonly service: string;
  /** The provider that authenticated the subject; a refresh asks it whether the account still exists. */
  readonly provider: string;
  /** Opaque fingerprint of the credential that was checked (AuthResult.credential). */
  readonly credential?: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Carried in the token (signed) and given back by verify. */
  readonly labels?: Labels;
  /** Milliseconds since the epoch: the token expires then at the latest (an id token's exp). */
  readonly notAfter?: number;
}

export interface RefreshTokens {
  /** null when there is nothing worth issuing: it would expire within a minute, or be too long. */
  issue(input: RefreshIssueInput): string | null;
  verify(token: string, context: { readonly service: string; readonly now: number }): RefreshVerification;
}

interface RefreshClaims {
  readonly typ: string;
  readonly sub: string;
  readonly aud: string;
  readonly iss: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly prv: string;
  readonly crd?: string;
  readonly lbl?: Labels;
}

/**
 * Refresh tokens are stateless and reusable until they expire (docker and c/image never store a
 * rotated one). Revocation without state: `notBefore` refuses every token issued before a time,
 * dropping a secret refuses every token it signed, and the caller re-checks the account and the
 * credential fingerprint on every refresh (docs/security.md rule 20).
 */
export function createRefreshTokens(opts: RefreshTokensOptions): RefreshTokens {
  if (opts.secrets.length === 0) throw new RangeError('at least one refresh secret is required');
  if (opts.secrets.some((s) => s.length < MIN_REFRESH_SECRET_BYTES)) {
    throw new RangeError(`refresh secrets must be at least ${MIN_REFRESH_SECRET_BYTES} bytes`);
  }
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${opts.ttlSeconds}`);
  }
  const keys = opts.secrets.map((s) => createSecretKey(Buffer.from(s)));
  const [signingKey] = keys as [KeyObject];

  return {
    issue({ subject, service, provider, credential, now, labels, notAfter }) {
      const iat = Math.floor(now / 1000);
      const exp = Math.min(iat + opts.ttlSeconds, notAfter === undefined ? Infinity : Math.floor(notAfter / 1000));
      if (exp - iat < MIN_LIFETIME_SECONDS) return null;
      const claims: RefreshClaims = {
        typ: CLAIM_TYP,
        sub: subject,
        aud: service,
        iss: opts.issuer,
        iat,
        exp,
        jti: newJti(),
        prv: provider,
        ...(credential === undefined ? {} : { crd: credential }),
        ...(labels === undefined ? {} : { lbl: labels }),
      };
      const signingInput = `${HEADER_SEGMENT}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const token = `${signingInput}.${mac(signingKey, signingInput)}`;
      return token.length > MAX_TOKEN_LENGTH ? null : token;
    },

    verify(token, { service, now }) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return failure('malformed');
      const parts = token.split('.');
      if (parts.length !== 3) return failure('malformed');
      const [header, payload, signature] = parts as [string, string, string];
      if (header !== HEADER_SEGMENT) return failure(isOtherTokenType(header) ? 'wrong_type' : 'malformed');
      const signingInput = `${header}.${payload}`;
      if (!keys.some((key) => sameText(mac(key, signingInput), signature))) return failure('bad_signature');

      const claims = parseClaims(payload);
      if (!claims) return failure('malformed');
      if (claims.typ !== CLAIM_TYP) return failure('wrong_type');
      if (claims.iss !== opts.issuer) return failure('wrong_issuer');
      if (claims.aud !== service) return failure('wrong_service');
      if (Math.floor(now / 1000) >= claims.exp) return failure('expired');
      // iat has second precision: a token issued in the same second as not_before is refused too.
      if (opts.notBefore !== undefined && claims.iat * 1000 <= opts.notBefore) return failure('revoked');
      return {
        ok: true,
        subject: claims.sub,
        provider: claims.prv,
        jti: claims.jti,
        issuedAt: claims.iat * 1000,
        credential: claims.crd,
        ...(claims.lbl === undefined ? {} : { labels: claims.lbl }),
      };
    },
  };
}

function mac(key: KeyObject, signingInput: string): string {
  return createHmac('sha256', key).update(signingInput).digest('base64url');
}

/** Constant-time for equal lengths; the length of a valid signature is public anyway. */
function sameText(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

function failure(reason: RefreshFailure): RefreshVerification {
  return { ok: false, reason };
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isOtherTokenType(header: string): boolean {
  const decoded = decodeJson(header) as { typ?: unknown } | undefined;
  return typeof decoded === 'object' && decoded !== null && 'typ' in decoded && decoded.typ !== HEADER_TYP;
}

function parseClaims(payload: string): RefreshClaims | undefined {
  const claims = decodeJson(payload) as Partial<Record<keyof RefreshClaims, unknown>> | undefined;
  if (typeof claims !== 'object' || claims === null) return undefined;
  const strings = [claims.typ, claims.sub, claims.aud, claims.iss, claims.jti, claims.prv];
  if (!strings.every((v) => typeof v === 'string')) return undefined;
  if (!Number.isInteger(claims.exp) || !Number.isInteger(claims.iat)) return undefined;
  if (claims.crd !== undefined && typeof claims.crd !== 'string') return undefined;
  if (claims.lbl !== undefined && !isLabels(claims.lbl)) return undefined;
  return claims as RefreshClaims;
}

function isLabels(value: unknown): value is Labels {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => Array.isArray(v) && v.every((item) => typeof item === 'string'))
  );
}
