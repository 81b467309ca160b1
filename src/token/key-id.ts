import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { KidFormat } from './token.types.js';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The key id registry 2.x looks up in `rootcertbundle` (docker/libtrust `keyIDFromCryptoKey`):
 * SPKI DER → SHA-256 → first 30 bytes → base32 → 12 groups of 4. 30 bytes are exactly 48 base32
 * characters, so there is never padding.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const spki = toPublic(publicKey).export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(spki).digest().subarray(0, 30);
  return base32(digest).match(/.{4}/g)!.join(':');
}

/**
 * The key id registry ≥ 3.1 derives from each `rootcertbundle` certificate (`getJWKThumbprint`).
 * It is RFC 7638 except that Go's `big.Int.Bytes()` drops leading zero bytes, so EC coordinates
 * (and RSA n/e) are hashed at minimal length. For ~1 P-256 key in 128 that differs from a correct
 * RFC 7638 thumbprint, and only this form is found by the registry.
 */
export function distributionThumbprint(publicKey: KeyObject): string {
  const jwk = toPublic(publicKey).export({ format: 'jwk' });
  let members: string;
  switch (jwk.kty) {
    case 'RSA':
      members = `{"e":"${minimal(jwk.e)}","kty":"RSA","n":"${minimal(jwk.n)}"}`;
      break;
    case 'EC':
      members = `{"crv":"${jwk.crv}","kty":"EC","x":"${minimal(jwk.x)}","y":"${minimal(jwk.y)}"}`;
      break;
    default:
      throw new TypeError(`no distribution thumbprint for key type ${publicKey.asymmetricKeyType}`);
  }
  return createHash('sha256').update(members).digest('base64url');
}

export function keyIdFor(publicKey: KeyObject, format: KidFormat): string {
  return format === 'libtrust' ? libtrustKeyId(publicKey) : distributionThumbprint(publicKey);
}

function toPublic(key: KeyObject): KeyObject {
  if (key.type === 'secret') throw new TypeError('a key id needs an asymmetric key');
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** base64url big-endian integer → the same integer without leading zero bytes. */
function minimal(value: string | undefined): string {
  const bytes = Buffer.from(value ?? '', 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return bytes.subarray(start).toString('base64url');
}

/** RFC 4648 base32, standard alphabet, without padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
