import { decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { hasJwtShape } from '../../common/jwt-shape.js';
import type { ClaimCondition } from './claims.js';
import type { IssuerKeys } from './issuer-keys.js';
import type { OidcIssuerConfig } from './oidc.schema.js';

export interface TrustedIssuer {
  readonly config: OidcIssuerConfig;
  readonly keys: IssuerKeys;
  readonly conditions: readonly ClaimCondition[];
}

export type Verification =
  | { readonly ok: true; readonly issuer: TrustedIssuer; readonly claims: JWTPayload }
  /** Why, for the audit line: never the token, never shown to the client. */
  | { readonly ok: false; readonly reason: string };

/** Three base64url segments whose payload is a JSON object: a password like that is taken as a token. */
export function looksLikeJwt(password: string): boolean {
  if (!hasJwtShape(password)) return false;
  try {
    decodeJwt(password);
    return true;
  } catch {
    return false;
  }
}

/**
 * Verifies an id token against the issuers it claims to come from (several entries may share an
 * issuer, e.g. with different audiences or conditions: the first that accepts it wins). The
 * unverified `iss` only picks the keys; jose then checks signature, algorithm, issuer, audience,
 * exp/nbf/iat with the clock skew, and the token's age. IssuerUnavailable (no keys at all)
 * propagates: that is an outage, not a bad token.
 */
export async function verifyIdToken(token: string, issuers: readonly TrustedIssuer[]): Promise<Verification> {
  const iss = decodeJwt(token).iss;
  const candidates = issuers.filter((i) => i.config.issuer === iss);
  // The iss is unverified and may be most of a 16 KiB token: the log gets its start only.
  if (candidates.length === 0) return { ok: false, reason: `token from an issuer that is not configured (${JSON.stringify(iss ?? null).slice(0, 200)})` };
  let first: Verification | undefined;
  for (const issuer of candidates) {
    const result = await verifyWith(token, issuer);
    if (result.ok) return result;
    first ??= result;
  }
  return first!;
}

async function verifyWith(token: string, issuer: TrustedIssuer): Promise<Verification> {
  const { config } = issuer;
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: config.algorithms,
    clockTolerance: Math.floor(config.clock_skew / 1000),
    maxTokenAge: Math.floor(config.max_token_age / 1000),
    requiredClaims: ['exp', 'iat'],
  };
  const attempt = async (keys: JWTVerifyGetKey) => (await jwtVerify(token, keys, options)).payload;
  let claims: JWTPayload;
  try {
    try {
      claims = await attempt(await issuer.keys.current());
    } catch (err) {
      // A key id we have not seen: the issuer may have rotated its keys since we fetched them.
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      const fresh = await issuer.keys.refetch();
      if (!fresh) return { ok: false, reason: `${config.issuer}: no key matches the token's key id (keys fetched again too recently, or the fetch failed)` };
      claims = await attempt(fresh);
    }
  } catch (err) {
    if (err instanceof errors.JOSEError) return { ok: false, reason: `${config.issuer}: ${describe(err)}` };
    throw err;
  }
  const failed = issuer.conditions.find((c) => !c.test(claims));
  if (failed) return { ok: false, reason: `${config.issuer}: claim ${failed.claim} does not meet the configured condition` };
  return { ok: true, issuer, claims };
}

function describe(err: errors.JOSEError): string {
  // jose reports a token past max_token_age as expired, on the iat claim.
  if (err instanceof errors.JWTExpired) return err.claim === 'iat' ? 'token too old (max_token_age)' : 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'wrong audience';
    if (err.claim === 'nbf') return 'token not yet valid';
    if (err.claim === 'iat') return 'token issued in the future';
    if (err.claim === 'iss') return 'wrong issuer';
    return `claim ${err.claim}: ${err.reason}`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key matches the token';
  return `invalid token (${err.code})`;
}
