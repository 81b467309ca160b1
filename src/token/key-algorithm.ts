import type { KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from './token.types.js';

export const MIN_RSA_BITS = 2048;

/**
 * libtrust (registry 2.8) accepts exactly one algorithm per EC curve, and go-jose (3.x) checks the
 * same pairing, so the curve decides the algorithm.
 */
const EC_ALGORITHMS: Readonly<Record<string, JwsAlgorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

const HASHES: Readonly<Record<JwsAlgorithm, string>> = {
  RS256: 'sha256',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

export type AlgorithmProblem = 'unsupported_key_type' | 'rsa_key_too_small' | 'unsupported_curve';

export type AlgorithmChoice =
  { readonly ok: true; readonly alg: JwsAlgorithm } | { readonly ok: false; readonly code: AlgorithmProblem; readonly message: string };

const SUPPORTED = 'use EC P-256 (ES256) or RSA >= 2048 bits (RS256)';

/** The only algorithm every registry verifies for this key, or why there is none. */
export function signingAlgorithmFor(key: KeyObject): AlgorithmChoice {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) {
        const message = `RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`;
        return { ok: false, code: 'rsa_key_too_small', message };
      }
      return { ok: true, alg: 'RS256' };
    }
    case 'ec': {
      const alg = EC_ALGORITHMS[details.namedCurve ?? ''];
      if (alg) return { ok: true, alg };
      return {
        ok: false,
        code: 'unsupported_curve',
        message: `EC curve ${details.namedCurve ?? '(unnamed)'} is not supported; registries verify P-256, P-384, P-521`,
      };
    }
    case 'ed25519':
      return {
        ok: false,
        code: 'unsupported_key_type',
        message:
          'Ed25519 keys are not supported: registry 2.8 cannot verify EdDSA tokens and panics at startup ' +
          `when an Ed25519 certificate is in its rootcertbundle; ${SUPPORTED}`,
      };
    case 'rsa-pss':
      return {
        ok: false,
        code: 'unsupported_key_type',
        message: `RSA-PSS keys are not supported: registry 2.8 rejects PS256 tokens; ${SUPPORTED}`,
      };
    default:
      return {
        ok: false,
        code: 'unsupported_key_type',
        message: `${type ?? 'this'} keys are not supported: registries verify RS256/384/512, ES256/384/512; ${SUPPORTED}`,
      };
  }
}

export function hashFor(alg: JwsAlgorithm): string {
  return HASHES[alg];
}
