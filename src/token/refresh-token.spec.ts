import { createHmac, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { createJwtSigner } from './jwt-signer.js';
import { createRefreshTokens, type RefreshIssueInput, type RefreshTokens, type RefreshTokensOptions } from './refresh-token.js';

const oldSecret = randomBytes(32);
const newSecret = randomBytes(32);
const issuedAt = 1_795_446_917_000;
const thirtyDays = 30 * 86_400;

const options: RefreshTokensOptions = { secrets: [newSecret], issuer: 'Auth Service', ttlSeconds: thirtyDays };
const grant = { subject: 'alice', service: 'registry', provider: 'ldap', now: issuedAt };
const at = { service: 'registry', now: issuedAt + 1000 };

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A token built by hand with a known secret, to reach the checks behind the signature. */
function handMade(header: unknown, claims: unknown, secret: Buffer = newSecret): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const refreshHeader = { alg: 'HS256', typ: 'rt+jwt' };

/** A token the tokens issue; these tests never ask for one that is not issued. */
function issued(tokens: RefreshTokens, input: RefreshIssueInput): string {
  const token = tokens.issue(input);
  if (token === null) throw new Error('no token issued');
  return token;
}

describe(createRefreshTokens.name, () => {
  const sut = createRefreshTokens(options);

  it('carries labels and never outlives notAfter, for identities no provider can look up again', () => {
    const token = issued(sut, { ...grant, labels: { owner: ['acme'] }, notAfter: issuedAt + 600_000 });
    expect(decodeJwt(token).exp).toBe(Math.floor(issuedAt / 1000) + 600);
    expect(sut.verify(token, at)).toEqual(expect.objectContaining({ ok: true, labels: { owner: ['acme'] } }));
    expect(sut.verify(token, { ...at, now: issuedAt + 600_000 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('issues nothing that would expire within a minute, or be longer than it accepts', () => {
    expect(sut.issue({ ...grant, notAfter: issuedAt + 30_000 })).toBeNull();
    expect(sut.issue({ ...grant, labels: { big: ['x'.repeat(9000)] } })).toBeNull();
  });

  it('refuses carried labels that are not lists of strings', () => {
    const claims = { typ: 'refresh', sub: 'a', aud: 'registry', iss: 'Auth Service', iat: 1, exp: 4_000_000_000, jti: 'j', prv: 'p', lbl: { owner: 'acme' } };
    expect(sut.verify(handMade(refreshHeader, claims), at)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('verifies a token it issued and returns its subject and provider', () => {
    expect(sut.verify(issued(sut, grant), at)).toEqual({
      ok: true,
      subject: 'alice',
      provider: 'ldap',
      jti: expect.any(String),
      issuedAt: Math.floor(grant.now / 1000) * 1000,
      credential: undefined,
    });
  });

  it('carries the credential fingerprint it was issued for back to the caller', () => {
    const token = issued(sut, { ...grant, credential: 'fp-1' });

    expect(decodeJwt(token)).toMatchObject({ crd: 'fp-1' });
    expect(sut.verify(token, at)).toMatchObject({ ok: true, credential: 'fp-1' });
  });

  it('refuses a correctly signed token whose credential fingerprint is not a string', () => {
    const claims = { ...decodeJwt(issued(sut, grant)), crd: 42 };

    expect(sut.verify(handMade(refreshHeader, claims), at)).toEqual({ ok: false, reason: 'malformed' });
  });

  describe('with not_before', () => {
    const revoking = createRefreshTokens({ ...options, notBefore: issuedAt + 5000 });

    it('refuses a token issued before it as revoked', () => {
      expect(revoking.verify(issued(sut, grant), { ...at, now: issuedAt + 10_000 })).toEqual({ ok: false, reason: 'revoked' });
    });

    it('refuses a token issued in the same second, since iat has second precision', () => {
      expect(revoking.verify(issued(sut, { ...grant, now: issuedAt + 5000 }), { ...at, now: issuedAt + 10_000 })).toEqual({ ok: false, reason: 'revoked' });
    });

    it('accepts a token issued after it', () => {
      expect(revoking.verify(issued(revoking, { ...grant, now: issuedAt + 6000 }), { ...at, now: issuedAt + 10_000 })).toMatchObject({ ok: true });
    });
  });

  it('accepts the same token again: refresh tokens are reusable until they expire', () => {
    const token = issued(sut, grant);
    sut.verify(token, at);

    expect(sut.verify(token, { ...at, now: issuedAt + 86_400_000 })).toMatchObject({ ok: true });
  });

  it('writes an HS256 header with a typ of its own, unlike access tokens', () => {
    expect(decodeProtectedHeader(issued(sut, grant))).toEqual(refreshHeader);
  });

  it('carries type, subject, service, issuer, times, id and provider as claims', () => {
    expect(decodeJwt(issued(sut, grant))).toEqual({
      typ: 'refresh',
      sub: 'alice',
      aud: 'registry',
      iss: 'Auth Service',
      iat: issuedAt / 1000,
      exp: issuedAt / 1000 + thirtyDays,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      prv: 'ldap',
    });
  });

  it('gives every token its own id', () => {
    expect(issued(sut, grant)).not.toBe(issued(sut, grant));
  });

  it('refuses the token once its lifetime has passed', () => {
    const token = issued(sut, grant);

    expect(sut.verify(token, { ...at, now: issuedAt + thirtyDays * 1000 - 1000 })).toMatchObject({ ok: true });
    expect(sut.verify(token, { ...at, now: issuedAt + thirtyDays * 1000 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses the token for another service', () => {
    expect(sut.verify(issued(sut, grant), { ...at, service: 'other-registry' })).toEqual({ ok: false, reason: 'wrong_service' });
  });

  it('refuses a token from another issuer that shares the secret', () => {
    const other = createRefreshTokens({ ...options, issuer: 'Other Service' });

    expect(sut.verify(issued(other, grant), at)).toEqual({ ok: false, reason: 'wrong_issuer' });
  });

  it('refuses a token whose claims were changed', () => {
    const [header, , signature] = issued(sut, grant).split('.');
    const forged = `${header}.${b64({ ...decodeJwt(issued(sut, grant)), sub: 'admin' })}.${signature}`;

    expect(sut.verify(forged, at)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token signed with a secret it does not hold', () => {
    const stranger = createRefreshTokens({ ...options, secrets: [randomBytes(32)] });

    expect(sut.verify(issued(stranger, grant), at)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('verifies tokens of a retired secret still in the list, and signs with the first', () => {
    const before = createRefreshTokens({ ...options, secrets: [oldSecret] });
    const during = createRefreshTokens({ ...options, secrets: [newSecret, oldSecret] });

    expect(during.verify(issued(before, grant), at)).toMatchObject({ ok: true });
    expect(sut.verify(issued(during, grant), at)).toMatchObject({ ok: true });
  });

  it('refuses every token of a secret once it is removed from the list', () => {
    const before = createRefreshTokens({ ...options, secrets: [oldSecret] });

    expect(sut.verify(issued(before, grant), at)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a registry access token as the wrong type', async () => {
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const signer = createJwtSigner({ alg: 'ES256', kid: 'k', privateKey, publicKey: createPublicKey(privateKey) }, { x5c: false });

    expect(sut.verify(await signer.sign({ sub: 'alice', aud: 'registry' }), at)).toEqual({ ok: false, reason: 'wrong_type' });
  });

  it('refuses a correctly signed token whose typ claim is not refresh', () => {
    const token = handMade(refreshHeader, { ...decodeJwt(issued(sut, grant)), typ: 'access' });

    expect(sut.verify(token, at)).toEqual({ ok: false, reason: 'wrong_type' });
  });

  it('refuses a correctly signed token whose claims are not the expected JSON', () => {
    const token = handMade(refreshHeader, { ...decodeJwt(issued(sut, grant)), exp: '2030-01-01' });

    expect(sut.verify(token, at)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['an empty string', ''],
    ['a random word', 'opaque'],
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['an oversized token', `${b64(refreshHeader)}.${'A'.repeat(9000)}.sig`],
  ])('refuses %s as malformed', (_, token) => {
    expect(sut.verify(token, at)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a signature with trailing padding', () => {
    expect(sut.verify(`${issued(sut, grant)}=`, at)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => createRefreshTokens({ ...options, secrets: [randomBytes(31)] })).toThrow(RangeError);
  });

  it('refuses an empty secret list', () => {
    expect(() => createRefreshTokens({ ...options, secrets: [] })).toThrow(RangeError);
  });

  it('refuses a lifetime that is not a whole number of seconds', () => {
    expect(() => createRefreshTokens({ ...options, ttlSeconds: 1.5 })).toThrow(RangeError);
  });
});
