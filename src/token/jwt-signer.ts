import { constants, sign, type SignKeyObjectInput } from 'node:crypto';
import { hashFor, signingAlgorithmFor } from './key-algorithm.js';
import type { JwsAlgorithm, SigningKey } from './token.types.js';

export interface JwtSignerOptions {
  /** Put the key's certificate chain into the header (see docs/protocol.md §1.5). */
  readonly x5c: boolean;
}

export interface JwtSigner {
  readonly alg: JwsAlgorithm;
  readonly kid: string;
  /** A compact JWS of `claims`, base64url without padding. */
  sign(claims: object): string;
}

/**
 * The header is encoded once here; a request only serialises its claims and signs. It names the
 * key by `kid` and optionally `x5c`, never by an embedded `jwk` (docs/security.md rule 18): registries
 * must find the key in their own trusted set, and a key carried by the token adds only size.
 */
export function createJwtSigner(key: SigningKey, opts: JwtSignerOptions): JwtSigner {
  const choice = signingAlgorithmFor(key.publicKey);
  if (!choice.ok || choice.alg !== key.alg) {
    throw new TypeError(`key ${key.kid} cannot sign ${key.alg}`);
  }
  const header: Record<string, unknown> = { typ: 'JWT', alg: key.alg, kid: key.kid };
  if (opts.x5c) {
    if (!key.x5c?.length) throw new TypeError(`x5c is on but key ${key.kid} has no certificate`);
    header['x5c'] = key.x5c;
  }
  const headerPrefix = `${base64url(JSON.stringify(header))}.`;
  const hash = hashFor(key.alg);
  // ECDSA in JWS is raw r‖s of fixed width; Node's default DER form is rejected by registries.
  const signOptions: SignKeyObjectInput = key.alg.startsWith('ES')
    ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' }
    : { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING };

  return {
    alg: key.alg,
    kid: key.kid,
    sign(claims: object): string {
      const signingInput = headerPrefix + base64url(JSON.stringify(claims));
      const signature = sign(hash, Buffer.from(signingInput, 'ascii'), signOptions);
      return `${signingInput}.${signature.toString('base64url')}`;
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
