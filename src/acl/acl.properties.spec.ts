import fc from 'fast-check';
import { authorize } from './acl.authorizer.js';
import { compileAcl } from './acl.compiler.js';
import { matches, request } from './acl-request.fixture.js';
import { KNOWN_ACTIONS, type AclMatchConfig, type AclRuleConfig } from './acl.types.js';
import type { CompiledAcl } from './compiled-acl.js';

const acl = (...rules: AclRuleConfig[]): CompiledAcl => {
  const compiled = compileAcl(rules);
  if (compiled.issues.length > 0) throw new Error(JSON.stringify(compiled.issues));
  return compiled.acl;
};
const only = (match: AclMatchConfig): CompiledAcl => acl({ match, actions: ['*'] });

const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const actionList = fc.uniqueArray(fc.constantFrom(...KNOWN_ACTIONS), { maxLength: 4 });

describe('ACL properties', () => {
  it('a glob ${account} matches exactly that account, whatever it contains', () => {
    const sut = only({ name: '${account}' });
    fc.assert(
      fc.property(anyString, anyString, (account, name) => {
        expect(matches(sut, { account, name })).toBe(name === account);
        expect(matches(sut, { account, name: account })).toBe(true);
      }),
    );
  });

  it('an anchored regex ${account} never matches a different value', () => {
    const sut = only({ name: '/^${account}$/' });
    fc.assert(
      fc.property(anyString, anyString, (account, name) => {
        expect(matches(sut, { account, name })).toBe(name === account);
      }),
    );
  });

  it('an unanchored regex ${account} matches exactly the names containing the account', () => {
    const sut = only({ name: '/${account}/' });
    fc.assert(
      fc.property(anyString, anyString, anyString, (account, before, after) => {
        expect(matches(sut, { account, name: `${before}${account}${after}` })).toBe(true);
        expect(matches(sut, { account, name: before })).toBe(before.includes(account));
      }),
    );
  });

  it('a glob without metacharacters matches only itself', () => {
    const literal = anyString.filter((s) => !/[*?[\\$]/.test(s) && !(s.length > 2 && s.startsWith('/') && s.endsWith('/')));
    fc.assert(
      fc.property(literal, anyString, (pattern, account) => {
        expect(matches(only({ account: pattern }), { account })).toBe(account === pattern);
      }),
    );
  });

  it('grants only requested actions, and * only where the entry grants everything', () => {
    fc.assert(
      fc.property(actionList, actionList, fc.constantFrom('repository', 'registry'), (listed, requested, type) => {
        const decision = authorize(acl({ match: {}, actions: listed }), request({ type, actions: requested }));
        if (decision.kind !== 'decided') throw new Error('match {} must decide');
        const wildcard = listed.length === 1 && listed[0] === '*';
        const listedSet = new Set<string>(listed);
        const everything = wildcard || (type === 'repository' && ['pull', 'push', 'delete'].every((a) => listedSet.has(a)));
        const asked = new Set<string>(requested);
        for (const action of decision.actions) {
          if (action === '*') expect(asked.has('*') && everything).toBe(true);
          else expect(asked.has(action) || asked.has('*')).toBe(true);
        }
      }),
    );
  });

  it('entries after a match-everything entry never change the decision', () => {
    const entry = fc.record({
      match: fc.record({ account: fc.constantFrom('alice', '*', '/a/'), name: fc.constantFrom('alice/*', '**') }, { requiredKeys: [] }),
      actions: actionList,
    });
    fc.assert(
      fc.property(actionList, fc.array(entry, { maxLength: 5 }), actionList, (first, rest, requested) => {
        const alone = authorize(acl({ match: {}, actions: first }), request({ actions: requested }));
        const followed = authorize(acl({ match: {}, actions: first }, ...rest), request({ actions: requested }));
        expect(followed).toEqual(alone);
      }),
    );
  });
});
