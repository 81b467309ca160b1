import { buildAccessClaims, newJti, tokenResponse, type AccessClaimsInput } from './claims.js';

/** 2026-11-23T15:15:17.789Z: a time with milliseconds, which must not leak into the claims. */
const nowMs = 1_795_446_917_789;
const nowSeconds = 1_795_446_917;

const input: AccessClaimsInput = {
  issuer: 'Auth Service',
  subject: 'alice',
  audience: 'Docker registry',
  access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
  now: nowMs,
  ttlSeconds: 300,
  jti: 'fixed-jti',
};

describe(buildAccessClaims.name, () => {
  it('holds exactly the claims registries read', () => {
    expect(Object.keys(buildAccessClaims(input)).sort()).toEqual(['access', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub']);
  });

  it('sets iat to the current time in whole seconds', () => {
    expect(buildAccessClaims(input).iat).toBe(nowSeconds);
  });

  it('sets exp to iat plus the lifetime, as an integer', () => {
    const sut = buildAccessClaims(input);

    expect(sut.exp).toBe(nowSeconds + 300);
    expect(Number.isInteger(sut.exp)).toBe(true);
  });

  it('sets nbf ten seconds before iat to allow for a registry clock that runs behind', () => {
    expect(buildAccessClaims(input).nbf).toBe(nowSeconds - 10);
  });

  it('puts the service into aud as a single string, never an array', () => {
    expect(buildAccessClaims(input).aud).toBe('Docker registry');
  });

  it('copies issuer, subject, jti and access unchanged', () => {
    const sut = buildAccessClaims(input);

    expect(sut).toMatchObject({ iss: 'Auth Service', sub: 'alice', jti: 'fixed-jti', access: input.access });
  });

  it('keeps an empty subject for anonymous tokens', () => {
    expect(buildAccessClaims({ ...input, subject: '' }).sub).toBe('');
  });

  it('keeps an empty access list, which still lets a client ping /v2/', () => {
    expect(buildAccessClaims({ ...input, access: [] }).access).toEqual([]);
  });

  it('refuses a lifetime that is not a whole number of seconds', () => {
    expect(() => buildAccessClaims({ ...input, ttlSeconds: 299.5 })).toThrow(RangeError);
  });
});

describe(newJti.name, () => {
  it('is 128 random bits in base64url without padding', () => {
    const sut = newJti();

    expect(sut).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(sut, 'base64url')).toHaveLength(16);
  });

  it('differs on every call', () => {
    const ids = new Set(Array.from({ length: 1000 }, newJti));

    expect(ids.size).toBe(1000);
  });
});

describe(tokenResponse.name, () => {
  const claims = buildAccessClaims(input);

  it('returns the token under both token and access_token', () => {
    const sut = tokenResponse('a.b.c', claims);

    expect(sut.token).toBe('a.b.c');
    expect(sut.access_token).toBe('a.b.c');
  });

  it('gives expires_in as the integer lifetime exp minus iat', () => {
    expect(tokenResponse('a.b.c', claims).expires_in).toBe(300);
  });

  it('gives issued_at as an RFC 3339 UTC string equal to iat', () => {
    expect(tokenResponse('a.b.c', claims).issued_at).toBe('2026-11-23T15:15:17Z');
  });
});
