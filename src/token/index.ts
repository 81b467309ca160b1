export * from './token.types.js';
export { buildAccessClaims, newJti, tokenResponse, NOT_BEFORE_SKEW_SECONDS } from './claims.js';
export type { AccessClaims, AccessClaimsInput, TokenResponse } from './claims.js';
export { certificateDateWarnings, parseCertificatePem, EXPIRY_WARNING_DAYS } from './certificates.js';
export { ensureKeyPair, ensureRefreshSecret, parseRefreshSecret } from './dev-files.js';
export type { KeyPairFiles } from './dev-files.js';
export { createJwtSigner } from './jwt-signer.js';
export type { JwtSigner, JwtSignerOptions } from './jwt-signer.js';
export { publicJwk } from './jwks.js';
export { signingAlgorithmFor, MIN_RSA_BITS } from './key-algorithm.js';
export { generateKeyAndCertificate } from './key-generation.js';
export type { GeneratedKey, KeyGenerationOptions } from './key-generation.js';
export { distributionThumbprint, keyIdFor, libtrustKeyId } from './key-id.js';
export { KeyLoadError } from './key-load-error.js';
export type { KeyIssue, KeyIssueCode } from './key-load-error.js';
export { createRefreshTokens, MIN_REFRESH_SECRET_BYTES } from './refresh-token.js';
export type {
  RefreshFailure,
  RefreshIssueInput,
  RefreshTokens,
  RefreshTokensOptions,
  RefreshVerification,
} from './refresh-token.js';
export { loadKeySet } from './signing-keys.js';
