import { accountFromTemplate, claimValues, compileConditions, labelsFromClaims } from './claims.js';

const claims = {
  sub: 'system:serviceaccount:ci:builder',
  repository: 'acme/app',
  ref_protected: true,
  run_attempt: 2,
  groups: ['dev', 'ops', 7, { nested: 1 }],
  empty: '',
  'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'builder' } },
  nothing: null,
};

describe('claims', () => {
  it.each([
    ['repository', ['acme/app']],
    ['ref_protected', ['true']],
    ['run_attempt', ['2']],
    ['groups', ['dev', 'ops', '7']],
    [['kubernetes.io', 'namespace'], ['ci']],
    [['kubernetes.io', 'serviceaccount', 'name'], ['builder']],
    ['kubernetes.io', []],
    ['nothing', []],
    ['missing', []],
  ])('reads %j as text: %j', (path, expected) => {
    expect(claimValues(claims, path)).toEqual(expected);
  });

  it('builds the account from a template, or gives null when a claim is missing or empty', () => {
    expect(accountFromTemplate('${repository}', claims)).toBe('acme/app');
    expect(accountFromTemplate('k8s:${sub}', claims)).toBe('k8s:system:serviceaccount:ci:builder');
    expect(accountFromTemplate('${missing}', claims)).toBeNull();
    expect(accountFromTemplate('x-${empty}', claims)).toBeNull();
  });

  it('maps claims to labels, leaving out claims that give nothing', () => {
    expect(labelsFromClaims(claims, { repo: 'repository', protected: 'ref_protected', ns: ['kubernetes.io', 'namespace'], gone: 'missing' })).toEqual({
      repo: ['acme/app'],
      protected: ['true'],
      ns: ['ci'],
    });
  });

  describe('conditions', () => {
    const sut = (conditions: Record<string, string[]>) => compileConditions(conditions).every((c) => c.test(claims));

    it('matches exact values, globs and whole-value regexes', () => {
      expect(sut({ repository: ['acme/app'] })).toBe(true);
      expect(sut({ repository: ['acme/*'] })).toBe(true);
      expect(sut({ repository: ['/acme/.+/'] })).toBe(true);
      expect(sut({ repository: ['/acme/'] })).toBe(false);
      expect(sut({ repository: ['other/app', 'acme/app'] })).toBe(true);
    });

    it('matches booleans as "true"/"false" and any element of an array', () => {
      expect(sut({ ref_protected: ['true'] })).toBe(true);
      expect(sut({ groups: ['ops'] })).toBe(true);
    });

    it('fails when the claim is missing', () => {
      expect(sut({ environment: ['production'] })).toBe(false);
    });

    it('refuses a pattern that does not compile, naming the claim', () => {
      expect(() => compileConditions({ ref: ['/(unclosed/'] })).toThrow(/^conditions\.ref: \/\(unclosed\/: /);
    });
  });
});
