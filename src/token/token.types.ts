import type { KeyObject, X509Certificate } from 'node:crypto';

export type JwsAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512';
export type KidFormat = 'libtrust' | 'jwk-thumbprint';

/** One configured key; paths are already resolved against the config file's folder. */
export interface TokenKeyConfig {
  readonly key: string;
  readonly certificate?: string;
  /** Literal kid, for JWKS-only registries whose jwks file names keys freely. */
  readonly kid?: string;
}

export interface KeySetOptions {
  /** The first key signs; all are published (JWKS, certificate bundle) for rotation. */
  readonly keys: readonly TokenKeyConfig[];
  readonly kidFormat: KidFormat;
  /** Send the certificate chain in the JWS header; needs a certificate on the signing key. */
  readonly x5c: boolean;
  /** Config path prefix for error messages, e.g. `token.keys`. */
  readonly path?: string;
}

export interface SigningKey {
  readonly alg: JwsAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly certificate?: X509Certificate;
  /** Standard-base64 DER of the certificate(s) in the PEM file, leaf first. */
  readonly x5c?: readonly string[];
}

export interface KeySet {
  readonly signer: SigningKey;
  readonly all: readonly SigningKey[];
  /** `{keys:[…]}` with full-width EC coordinates and each key's `kid`, `alg`, `use: sig`. */
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
  /** PEM certificates of every key that has one: the registry's `rootcertbundle`. */
  readonly bundlePem: string;
  /** Human-readable warnings found at load (certificate expiring soon, …). */
  readonly warnings: readonly string[];
}

/** One entry of the token's `access` claim. */
export interface AccessEntry {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}
