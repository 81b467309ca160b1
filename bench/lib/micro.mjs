// B2 and B3: what one core does per second with the same primitives the server uses.
import bcrypt from 'bcrypt';

/** JWT signatures per second on one core, with the server's own signer. */
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
  for (let i = 0; i < 200; i++) signer.sign(claims);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    signer.sign(claims);
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
