import { resolve } from 'node:path';
import type { KeySetOptions } from '../token/index.js';
import type { RegauthConfig } from './config.schema.js';

/**
 * The token section as the key loader wants it: paths resolved against the config's folder and
 * `x5c` decided — on by default exactly when the signing key has a certificate (docs/protocol.md:
 * x5c plus libtrust kid works on every registry that has a rootcertbundle).
 */
export function keySetOptions(token: RegauthConfig['token'], baseDir: string, path = 'token.keys'): KeySetOptions {
  const at = (p: string): string => resolve(baseDir, p);
  return {
    keys: token.keys.map((k) => ({ key: at(k.key), certificate: k.certificate && at(k.certificate), kid: k.kid })),
    kidFormat: token.kid_format,
    x5c: token.x5c ?? token.keys[0].certificate !== undefined,
    path,
  };
}
