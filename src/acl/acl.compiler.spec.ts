import type { AclRuleConfig } from './acl.types.js';
import { compileAcl } from './acl.compiler.js';

const entry = (match: object, actions: string[] = ['pull']): AclRuleConfig => ({ match, actions });
const issuesOf = (rules: unknown[]) => compileAcl(rules as AclRuleConfig[]).issues;

describe(compileAcl.name, () => {
  it('compiles a valid list without issues or warnings', () => {
    const sut = compileAcl([entry({ account: 'admin' }, ['*']), entry({}, ['pull'])]);
    expect(sut.issues).toEqual([]);
    expect(sut.warnings).toEqual([]);
    expect(sut.acl.rules.map((r) => r.index)).toEqual([0, 1]);
  });

  it('accepts an empty list', () => {
    expect(compileAcl([])).toMatchObject({ acl: { rules: [] }, issues: [] });
  });

  it('keeps the comment for decisions', () => {
    expect(compileAcl([{ match: {}, actions: [], comment: 'deny all' }]).acl.rules[0].comment).toBe('deny all');
  });

  describe('structure', () => {
    it('uses the given path prefix', () => {
      expect(compileAcl([entry({ ip: 'x' })], 'rules').issues[0].path).toBe('rules[0].match.ip');
    });
  });

  describe('patterns', () => {
    it('reports an invalid regex with the entry index and field', () => {
      expect(issuesOf([entry({}), entry({}), entry({}), entry({ name: '/(team/' })])).toEqual([
        { path: 'acl[3].match.name', message: expect.stringMatching(/^invalid regular expression: /) },
      ]);
    });

    it('reports an invalid glob', () => {
      expect(issuesOf([entry({ type: 'repo[' })])).toEqual([{ path: 'acl[0].match.type', message: expect.stringMatching(/^invalid glob pattern: /) }]);
    });

    it('reports an invalid label pattern under its label name', () => {
      expect(issuesOf([entry({ labels: { group: '/(/' } })])).toEqual([
        { path: 'acl[0].match.labels.group', message: expect.stringMatching(/^invalid regular expression/) },
      ]);
    });

    it('reports an unknown placeholder', () => {
      expect(issuesOf([entry({ name: '${acount}/*' })])).toEqual([
        { path: 'acl[0].match.name', message: expect.stringContaining('unknown placeholder ${acount}') },
      ]);
    });

    it('checks the syntax around placeholders', () => {
      expect(issuesOf([entry({ name: '/^${account}(/' })])).toEqual([
        { path: 'acl[0].match.name', message: expect.stringMatching(/^invalid regular expression/) },
      ]);
    });

    it('refuses placeholders in a regex using \\Q…\\E', () => {
      expect(issuesOf([entry({ name: '/^\\Q${account}\\E$/' })])).toEqual([{ path: 'acl[0].match.name', message: expect.stringContaining('\\Q') }]);
    });

    it('refuses a label name no user can have', () => {
      expect(issuesOf([entry({ labels: JSON.parse('{"__proto__": "x"}') })])).toEqual([{ path: 'acl[0].match.labels.__proto__', message: expect.any(String) }]);
    });
  });

  describe('capture placeholders', () => {
    it('accepts a reference to a group of the entry regex', () => {
      expect(issuesOf([entry({ account: '/^(.+)@corp$/', name: '${account:1}/*' })])).toEqual([]);
    });

    it.each([
      [{ name: '${account:1}/*' }, 'not set'],
      [{ account: 'bob', name: '${account:1}/*' }, 'not a regular expression'],
      [{ account: '/^(.+)@corp$/', name: '${account:2}/*' }, 'has 1 capture group'],
      [{ account: '/^(.+)-${account:1}$/' }, 'itself uses capture or label placeholders'],
      [{ account: '/^(.+)-${labels:x}$/', name: '${account:1}' }, 'itself uses capture or label placeholders'],
    ])('refuses %j (the entry could never match)', (match, problem) => {
      const issues = issuesOf([entry(match)]);
      expect(issues).toHaveLength(1);
      expect(issues[0].message).toContain(problem);
    });

    it('accepts a capture source that uses value placeholders', () => {
      expect(issuesOf([entry({ name: '/^${account}/([a-z]+)$/', service: '${name:1}' })])).toEqual([]);
    });

    it('accepts captures in label patterns', () => {
      expect(issuesOf([entry({ name: '/^([a-z]+)\\//', labels: { team: '${name:1}' } })])).toEqual([]);
    });
  });

  describe('ip', () => {
    it.each(['192.168.0.*', '10.0.0.0/33', '::/129', 'registry.local', '10.0.0.0/100'])('reports %j', (ip) => {
      expect(issuesOf([entry({ ip })])).toEqual([{ path: 'acl[0].match.ip', message: expect.stringMatching(/^invalid /) }]);
    });
  });

  it('reports all issues of all entries at once', () => {
    const issues = issuesOf([entry({ name: '/(/' }), entry({ ip: 'x', account: '[' })]);
    expect(issues.map((i) => i.path)).toEqual(['acl[0].match.name', 'acl[1].match.account', 'acl[1].match.ip']);
  });

  it('returns an ACL without entries when there is any issue (fail closed)', () => {
    const sut = compileAcl([entry({}, ['*']), entry({ name: '/(/' })]);
    expect(sut.acl.rules).toEqual([]);
  });

  describe('warnings', () => {
    it('warns about push without pull, naming the entry', () => {
      expect(compileAcl([entry({}), entry({ account: 'ci' }, ['push'])]).warnings).toEqual([expect.stringMatching(/^acl\[1\]: grants push without pull/)]);
    });

    it('does not warn about the wildcard', () => {
      expect(compileAcl([entry({}, ['*'])]).warnings).toEqual([]);
    });

    it('warns that * in a longer list is not a wildcard', () => {
      expect(compileAcl([entry({}, ['pull', '*'])]).warnings).toEqual([expect.stringContaining('acl[0].actions')]);
    });

    it('warns about an account regex anchored nowhere and suggests the anchored one', () => {
      expect(compileAcl([entry({ account: '/admin/' })]).warnings).toEqual([
        'acl[0].match.account: the regex /admin/ is not anchored, so it matches any account that merely contains a match; write /^admin$/ to match the whole account',
      ]);
    });

    it('says which end of a name regex is open, and groups alternatives in the suggestion', () => {
      const sut = compileAcl([entry({ name: '/^team-a|team-b/' }), entry({ name: '/prod$/' })]);

      expect(sut.warnings).toEqual([
        expect.stringMatching(/^acl\[0\]\.match\.name: the regex \/\^team-a\|team-b\/ is not anchored at the end, .* write \/\^\(\?:team-a\|team-b\)\$\//),
        expect.stringMatching(/^acl\[1\]\.match\.name: .* not anchored at the start/),
      ]);
    });

    it('accepts regexes anchored at both ends, reaching an end with .* or .+, or a namespace prefix', () => {
      const rules = [
        entry({ account: '/^ci-[0-9]+$/' }),
        entry({ account: '/.+/' }),
        entry({ name: '/^team-.*/' }),
        entry({ name: '/.*-tmp$/' }),
        entry({ name: '/^tools\\//' }),
      ];

      expect(compileAcl(rules).warnings).toEqual([]);
    });

    it('does not look at regexes on other fields, nor at globs', () => {
      expect(compileAcl([entry({ service: '/reg/', type: '/repo/', name: 'admin*' })]).warnings).toEqual([]);
    });
  });
});
