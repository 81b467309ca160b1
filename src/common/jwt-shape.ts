/**
 * Three base64url segments, as every JWS compact token: how a password is recognised as a CI
 * job's id token, both by the request parser (which then allows it to be longer) and by the
 * oidc provider (which then treats it as its own). The provider decodes it before trusting it.
 */
const JWT_SHAPE = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;

export function hasJwtShape(value: string): boolean {
  return JWT_SHAPE.test(value);
}

/** Real id tokens are 1–4 KiB (GitHub Actions about 1.5); this bound still protects the parsers. */
export const MAX_ID_TOKEN_BYTES = 16 * 1024;
