// B2 and B3: what one core does per second with the same primitives the server uses.
import bcrypt from 'bcrypt';
import { constants, sign } from 'node:crypto';

/**
 * Bare JWT signatures per second on one core: node:crypto's synchronous sign in a loop, with the
 * key as the server loads it and a token the server's signer produced as the input. (The server
 * signs on the thread pool; this is the primitive alone, with warm caches.)
 */
export async function signsPerSecond(dist, keyFile, ms = 2000) {
  const { loadKeySet } = await import(`${dist}/token/signing-keys.js`);
  const { createJwtSigner, buildAccessClaims } = await import(`${dist}/token/index.js`);
  const keys = await loadKeySet({ keys: [{ key: keyFile }], kidFormat: 'libtrust', x5c: false, path: 'token.keys' });
  const signer = createJwtSigner(keys.signer, { x5c: false });
  const claims = buildAccessClaims({
    issuer: 'bench',
    subject: 'alice',
    audience: 'registry',
    access: [{ type: 'repository', name: 'foo/bar', actions: ['pull', 'push'] }],
    now: Date.now(),
    ttlSeconds: 300,
    jti: 'jti',
  });
  const signingInput = Buffer.from((await signer.sign(claims)).split('.').slice(0, 2).join('.'), 'ascii');
  const key = keys.signer;
  const hash = `sha${key.alg.slice(2)}`;
  const options = key.alg.startsWith('ES') ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING };
  for (let i = 0; i < 200; i++) sign(hash, signingInput, options);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    sign(hash, signingInput, options);
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

/** bcrypt compares per second on one core (one at a time) at `cost`. */
export async function comparesPerSecond(cost, ms = 2000) {
  const hash = bcrypt.hashSync('bench-password', cost);
  await bcrypt.compare('bench-password', hash);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await bcrypt.compare('bench-password', hash);
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}
