import { oidcProviderSchema } from './oidc.schema.js';

const parse = (issuer: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  oidcProviderSchema.safeParse({ type: 'oidc', issuers: [issuer], ...extra });
const messages = (result: ReturnType<typeof parse>): string[] => (result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));

describe('oidc provider schema', () => {
  it('fills the GitHub Actions issuer, account and labels from the preset', () => {
    const sut = parse({ preset: 'github-actions', audience: 'https://registry.example.com', conditions: { repository_owner: 'acme' } });
    expect(sut.success && sut.data.issuers[0]).toEqual(
      expect.objectContaining({
        issuer: 'https://token.actions.githubusercontent.com',
        audience: ['https://registry.example.com'],
        account: '${repository}',
        labels: expect.objectContaining({ repository_owner: 'repository_owner', ref: 'ref' }),
        conditions: { repository_owner: ['acme'] },
      }),
    );
  });

  it('lets the config override what a preset fills', () => {
    const sut = parse({
      preset: 'kubernetes',
      issuer: 'https://kubernetes.default.svc',
      audience: 'regauth',
      account: 'k8s:${sub}',
      labels: { ns: ['kubernetes.io', 'namespace'] },
    });
    expect(sut.success && sut.data.issuers[0]).toEqual(expect.objectContaining({ account: 'k8s:${sub}', labels: { ns: ['kubernetes.io', 'namespace'] } }));
  });

  it('refuses a public issuer with no condition, and says why', () => {
    expect(messages(parse({ preset: 'github-actions', audience: 'x' }))).toEqual([
      expect.stringMatching(
        /^issuers\.0\.conditions: https:\/\/token\.actions\.githubusercontent\.com signs tokens for every job on the platform, anyone's: say whose you accept with a condition that names them \(e\.g\. conditions: \{ repository_owner: your-org \}; sub, repository, /,
      ),
    ]);
    expect(messages(parse({ preset: 'gitlab', issuer: 'https://gitlab.com', audience: 'x' }))).toHaveLength(1);
  });

  it.each([
    ['a wildcard owner', { repository_owner: '*' }],
    ['a regex that takes anyone', { repository_owner: '/.*/' }],
    ['a condition that names no owner', { ref: 'refs/heads/main' }],
    ['an owner among patterns, one of them open', { repository: ['acme/app', '**'] }],
  ])('refuses a public issuer whose conditions let strangers in: %s', (_, conditions) => {
    expect(messages(parse({ preset: 'github-actions', audience: 'x', conditions }))).toEqual([expect.stringMatching(/^issuers\.0\.conditions: .*names them/)]);
  });

  it('takes an owner pattern that names one organisation, and a condition on another claim beside it', () => {
    expect(messages(parse({ preset: 'github-actions', audience: 'x', conditions: { repository: 'acme/*', ref: 'refs/heads/main' } }))).toEqual([]);
    expect(messages(parse({ preset: 'gitlab', issuer: 'https://gitlab.com', audience: 'x', conditions: { namespace_path: ['acme', 'acme/**'] } }))).toEqual([]);
  });

  it('does not let public: false switch off the check for a known public issuer', () => {
    expect(messages(parse({ preset: 'github-actions', audience: 'x', public: false }))).toEqual([
      "issuers.0.public: https://token.actions.githubusercontent.com signs tokens for everyone's jobs: public: false cannot turn that off",
    ]);
  });

  it('takes any closed condition for an issuer marked public: true, whose claims it cannot know', () => {
    expect(messages(parse({ issuer: 'https://idp.example', audience: 'x', public: true, conditions: { tenant: 'acme' } }))).toEqual([]);
    expect(messages(parse({ issuer: 'https://idp.example', audience: 'x', public: true, conditions: { tenant: '*' } }))).toHaveLength(1);
  });

  it('requires an audience: there is no default that accepts any', () => {
    expect(messages(parse({ issuer: 'https://issuer.example', conditions: {} }))).toEqual([expect.stringMatching(/^issuers\.0\.audience: /)]);
  });

  it('requires an issuer where the preset has none', () => {
    expect(messages(parse({ preset: 'gitlab', audience: 'x', conditions: { namespace_path: 'acme' } }))).toEqual([
      'issuers.0.issuer: required (the gitlab preset has no issuer of its own)',
    ]);
  });

  it.each([
    ['HS256', 'HS256: symmetric algorithms are never accepted: anyone holding the public key could sign with it'],
    ['none', 'none: unsigned tokens are never accepted'],
  ])('refuses the algorithm %s', (alg, message) => {
    expect(messages(parse({ issuer: 'https://issuer.example', audience: 'x', algorithms: ['RS256', alg] }))).toEqual([`issuers.0.algorithms.1: ${message}`]);
  });

  it('refuses plain http keys except on loopback or with allow_http', () => {
    expect(messages(parse({ issuer: 'http://issuer.example', audience: 'x' }))).toEqual([
      'issuers.0.issuer: keys fetched over plain http can be swapped on the way: use https:// (or allow_http: true)',
    ]);
    expect(parse({ issuer: 'http://127.0.0.1:8080', audience: 'x' }).success).toBe(true);
    expect(parse({ issuer: 'http://issuer.example', audience: 'x', allow_http: true }).success).toBe(true);
  });

  it('takes keys from a URL or a file, not both', () => {
    expect(messages(parse({ issuer: 'https://i.example', audience: 'x', jwks_uri: 'https://i.example/keys', jwks_file: 'keys.json' }))).toEqual([
      'issuers.0.jwks_file: give jwks_uri or jwks_file, not both',
    ]);
  });
});
