import { toLabels } from '../common/labels.js';
import { authorize } from './acl.authorizer.js';
import { compileAcl } from './acl.compiler.js';
import type { AclMatchConfig, AclRequest, AclRuleConfig } from './acl.types.js';
import type { CompiledAcl } from './compiled-acl.js';

const acl = (...rules: AclRuleConfig[]): CompiledAcl => {
  const compiled = compileAcl(rules);
  expect(compiled.issues).toEqual([]);
  return compiled.acl;
};
const allow = (match: AclMatchConfig, actions: string[] = ['*'], comment?: string): AclRuleConfig => ({ match, actions, ...(comment ? { comment } : {}) });

const request = (over: Partial<AclRequest> = {}): AclRequest => ({
  account: 'alice',
  type: 'repository',
  name: 'alice/app',
  service: 'registry.local',
  ip: '10.1.2.3',
  labels: toLabels({}),
  actions: ['pull'],
  ...over,
});

/** The actions granted, or null when no entry decided. */
const granted = (sut: CompiledAcl, over: Partial<AclRequest> = {}): readonly string[] | null => {
  const decision = authorize(sut, request(over));
  return decision.kind === 'decided' ? decision.actions : null;
};

describe(authorize.name, () => {
  describe('order and decisions', () => {
    it('answers no_match when no entry matches', () => {
      expect(authorize(acl(allow({ account: 'bob' })), request())).toEqual({ kind: 'no_match' });
    });

    it('answers no_match for an empty ACL', () => {
      expect(authorize(acl(), request())).toEqual({ kind: 'no_match' });
    });

    it('lets match {} match everything', () => {
      expect(granted(acl(allow({})))).toEqual(['pull']);
    });

    it('lets the first matching entry decide', () => {
      const sut = acl(allow({ account: 'alice' }, ['pull']), allow({}, ['*']));
      expect(granted(sut, { actions: ['pull', 'push'] })).toEqual(['pull']);
    });

    it('skips entries whose conditions do not all hold', () => {
      const sut = acl(allow({ account: 'alice', name: 'other/*' }, ['*']), allow({ account: 'alice' }, ['pull']));
      expect(granted(sut, { actions: ['pull', 'push'] })).toEqual(['pull']);
    });

    it('stops at an explicit deny ([]) even when a later entry would grant', () => {
      const sut = acl(allow({ name: 'secret/*' }, []), allow({}, ['*']));
      expect(authorize(sut, request({ name: 'secret/x' }))).toEqual({ kind: 'decided', actions: [], rule: 0 });
    });

    it('reports the deciding entry index and comment', () => {
      const sut = acl(allow({ account: 'bob' }), allow({ account: 'alice' }, ['pull'], 'alice reads'));
      expect(authorize(sut, request())).toEqual({ kind: 'decided', actions: ['pull'], rule: 1, comment: 'alice reads' });
    });

    it('decides with no actions when the entry grants none of the requested ones', () => {
      expect(granted(acl(allow({}, ['pull'])), { actions: ['push'] })).toEqual([]);
    });
  });

  describe('actions', () => {
    it('grants the catalog only through an entry with ["*"]', () => {
      const catalog = { type: 'registry', name: 'catalog', actions: ['*'] };
      expect(granted(acl(allow({ type: 'registry' }, ['pull'])), catalog)).toEqual([]);
      expect(granted(acl(allow({ type: 'registry' }, ['*'])), catalog)).toEqual(['*']);
    });

    it('turns a requested * into * only for a full grant on a repository', () => {
      expect(granted(acl(allow({}, ['pull', 'push', 'delete'])), { actions: ['*'] })).toEqual(['*']);
      expect(granted(acl(allow({}, ['pull', 'push'])), { actions: ['*'] })).toEqual(['pull', 'push']);
    });
  });

  describe('field patterns', () => {
    it.each([
      [{ account: 'alice' }, true],
      [{ account: 'ali*' }, true],
      [{ account: 'bob' }, false],
      [{ account: '' }, false],
      [{ type: 'repository' }, true],
      [{ type: 'registry' }, false],
      [{ name: 'alice/*' }, true],
      [{ name: 'alice' }, false],
      [{ name: '*' }, false],
      [{ name: '**' }, true],
      [{ service: 'registry.local' }, true],
      [{ service: 'registry.*' }, true],
      [{ service: 'other' }, false],
      [{ name: '/app/' }, true],
      [{ name: '/^app/' }, false],
      [{ account: '/(?i)ALICE/' }, true],
      [{ account: '/^a.i/' }, true],
    ] as [AclMatchConfig, boolean][])('%j matches alice/app: %s', (match, expected) => {
      expect(granted(acl(allow(match))) !== null).toBe(expected);
    });

    it('matches the anonymous user with account ""', () => {
      const sut = acl(allow({ account: '' }, ['pull']));
      expect(granted(sut, { account: '' })).toEqual(['pull']);
      expect(granted(sut, { account: 'alice' })).toBeNull();
    });

    it('treats // as a glob (a regex needs more than two characters)', () => {
      const sut = acl(allow({ name: '//' }));
      expect(granted(sut, { name: '//' })).not.toBeNull();
      expect(granted(sut, { name: 'a' })).toBeNull();
    });

    it('requires every condition of the entry', () => {
      const sut = acl(allow({ account: 'alice', type: 'repository', name: 'alice/*', service: 'registry.local', ip: '10.0.0.0/8' }));
      expect(granted(sut)).not.toBeNull();
      expect(granted(sut, { service: 'other' })).toBeNull();
    });
  });

  describe('ip', () => {
    it('matches a client inside the network', () => {
      expect(granted(acl(allow({ ip: '10.0.0.0/8' })))).not.toBeNull();
    });

    it('does not match a client outside the network', () => {
      expect(granted(acl(allow({ ip: '192.168.0.0/16' })))).toBeNull();
    });

    it('matches an IPv4-mapped IPv6 client against an IPv4 rule', () => {
      expect(granted(acl(allow({ ip: '10.1.2.3' })), { ip: '::ffff:10.1.2.3' })).not.toBeNull();
    });

    it('matches IPv6 clients against IPv6 rules', () => {
      expect(granted(acl(allow({ ip: '2001:db8::/32' })), { ip: '2001:db8::7' })).not.toBeNull();
    });

    it('never matches when the client address is unknown', () => {
      expect(granted(acl(allow({ ip: '0.0.0.0/0' })), { ip: null })).toBeNull();
    });

    it('never matches an unparsable client address', () => {
      expect(granted(acl(allow({ ip: '0.0.0.0/0' })), { ip: 'garbage' })).toBeNull();
    });

    it('leaves entries without ip usable when the address is unknown', () => {
      expect(granted(acl(allow({ ip: '10.0.0.0/8' }, ['*']), allow({}, ['pull'])), { ip: null, actions: ['push', 'pull'] })).toEqual(['pull']);
    });
  });

  describe('labels', () => {
    const labels = toLabels({ group: ['dev', 'CICD'], team: 'web' });

    it('matches when one of the values matches', () => {
      expect(granted(acl(allow({ labels: { group: 'CICD' } })), { labels })).not.toBeNull();
    });

    it('does not match when no value matches', () => {
      expect(granted(acl(allow({ labels: { group: 'ops' } })), { labels })).toBeNull();
    });

    it('needs every listed label', () => {
      expect(granted(acl(allow({ labels: { group: 'dev', team: 'web' } })), { labels })).not.toBeNull();
      expect(granted(acl(allow({ labels: { group: 'dev', team: 'ops' } })), { labels })).toBeNull();
    });

    it('does not match a user without the label', () => {
      expect(granted(acl(allow({ labels: { site: '*' } })), { labels })).toBeNull();
    });

    it('does not match a label whose list is empty, even with *', () => {
      expect(granted(acl(allow({ labels: { group: '*' } })), { labels: toLabels({ group: [] }) })).toBeNull();
    });

    it('uses glob and regex patterns for label values', () => {
      expect(granted(acl(allow({ labels: { group: 'C*' } })), { labels })).not.toBeNull();
      expect(granted(acl(allow({ labels: { group: '/^(?i)cicd$/' } })), { labels })).not.toBeNull();
    });

    it('does not resolve a label name to an Object.prototype member', () => {
      const plainObject = { group: ['dev'] };
      expect(granted(acl(allow({ labels: { toString: '*' } })), { labels: plainObject })).toBeNull();
    });
  });
});
