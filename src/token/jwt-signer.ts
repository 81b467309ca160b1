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
  sign(claims: object): Promise<string>;
}

/**
 * The header is encoded once here; a request only serialises its claims and signs, and the
 * signature is computed on libuv's thread pool (crypto.sign with a callback), not on the event
 * loop. An RSA-2048 signature takes a third of a millisecond that other requests would otherwise
 * wait behind; and even an ES256 one cost the event loop about three times what it costs on a
 * thread that runs nothing else, because the request handling between two signatures evicts
 * OpenSSL's tables from the CPU caches (measured in bench/analysis.md). It names the
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
    sign(claims: object): Promise<string> {
      const signingInput = headerPrefix + base64url(JSON.stringify(claims));
      return new Promise((resolve, reject) => {
        sign(hash, Buffer.from(signingInput, 'ascii'), signOptions, (err, signature) => {
          if (err) reject(err);
          else resolve(`${signingInput}.${signature.toString('base64url')}`);
        });
      });
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
