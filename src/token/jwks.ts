import { exportJWK } from 'jose';
import type { SigningKey } from './token.types.js';

/**
 * The public JWK a registry 3.x `jwks` file needs for this key. jose writes EC coordinates at full
 * width, which go-jose requires; the `kid` is the one the token header carries, so the registry
 * finds the key whatever kid format is configured.
 */
export async function publicJwk(key: SigningKey): Promise<Record<string, unknown>> {
  const jwk = await exportJWK(key.publicKey);
  return { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' };
}
