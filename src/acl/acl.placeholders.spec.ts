import { toLabels } from '../common/labels.js';
import { compileAcl, type AclOptions } from './acl.compiler.js';
import { matches } from './acl-request.fixture.js';
import type { AclMatchConfig } from './acl.types.js';
import type { CompiledAcl } from './compiled-acl.js';
import { MAX_LABEL_COMBINATIONS } from './pattern.compiler.js';

const aclWith =
  (options: AclOptions) =>
  (...matches: AclMatchConfig[]): CompiledAcl => {
    const compiled = compileAcl(
      matches.map((match) => ({ match, actions: ['*'] })),
      'acl',
      options,
    );
    expect(compiled.issues).toEqual([]);
    return compiled.acl;
  };
const acl = aclWith({});
/** docker_auth files: label values are inserted as pattern text. */
const dockerAuthAcl = aclWith({ globstar: false, rawLabels: true });

describe('ACL placeholders', () => {
  describe('${account}, ${type}, ${name}, ${service}', () => {
    it('substitutes the account into a glob', () => {
      const sut = acl({ name: '${account}/*' });
      expect(matches(sut, { name: 'alice/app' })).toBe(true);
      expect(matches(sut, { name: 'bob/app' })).toBe(false);
    });

    it('substitutes the account into a regex', () => {
      const sut = acl({ name: '/^${account}\\/[a-z]+$/' });
      expect(matches(sut, { name: 'alice/app' })).toBe(true);
      expect(matches(sut, { name: 'bob/app' })).toBe(false);
    });

    it('substitutes type and service', () => {
      const sut = acl({ name: '${service}-${type}' });
      expect(matches(sut, { name: 'registry.local-repository' })).toBe(true);
    });

    it('substitutes the name (a value may be compared with itself)', () => {
      expect(matches(acl({ name: '${name}' }), { name: 'any/thing' })).toBe(true);
    });

    it('substitutes every occurrence', () => {
      const sut = acl({ name: '${account}/${account}' });
      expect(matches(sut, { name: 'alice/alice' })).toBe(true);
      expect(matches(sut, { name: 'alice/bob' })).toBe(false);
    });
  });

  describe('escaping: request values cannot change a rule', () => {
    it('keeps glob characters of an account literal', () => {
      const sut = acl({ name: '${account}/*' });
      expect(matches(sut, { account: '*', name: 'bob/app' })).toBe(false);
      expect(matches(sut, { account: '*', name: '*/app' })).toBe(true);
    });

    it('keeps regex characters of an account literal', () => {
      const sut = acl({ name: '/^${account}\\//' });
      expect(matches(sut, { account: 'a.*', name: 'alice/app' })).toBe(false);
      expect(matches(sut, { account: 'a.*', name: 'a.*/app' })).toBe(true);
    });

    it('does not let a value close a class or group', () => {
      const sut = acl({ name: '/^(${account})$/' });
      expect(matches(sut, { account: 'x)|(.*', name: 'anything' })).toBe(false);
    });

    it('does not substitute placeholders that arrive inside a value (one pass)', () => {
      const sut = acl({ name: '${account}/${service}' });
      expect(matches(sut, { account: '${service}', service: 'hub', name: 'hub/hub' })).toBe(false);
      expect(matches(sut, { account: '${service}', service: 'hub', name: '${service}/hub' })).toBe(true);
    });

    it('keeps $ in a value literal in a regex', () => {
      const sut = acl({ account: '/^${name}$/' });
      expect(matches(sut, { account: 'a', name: 'a$' })).toBe(false);
      expect(matches(sut, { account: 'a$', name: 'a$' })).toBe(true);
    });

    it('keeps a value from turning a glob into a regex', () => {
      const sut = acl({ account: '${name}' });
      expect(matches(sut, { account: 'x', name: '/x/' })).toBe(false);
    });
  });

  describe('${field:N} capture groups', () => {
    const byDomainUser = { account: '/^([a-z]+)@corp\\.example$/', name: '${account:1}/*' };

    it('inserts the capture group of the entry regex', () => {
      const sut = acl(byDomainUser);
      expect(matches(sut, { account: 'bob@corp.example', name: 'bob/app' })).toBe(true);
      expect(matches(sut, { account: 'bob@corp.example', name: 'alice/app' })).toBe(false);
    });

    it('does not match when the source regex does not match', () => {
      expect(matches(acl({ account: '/^([a-z]+)@corp$/', name: '${account:1}/*' }), { account: 'bob', name: 'bob/app' })).toBe(false);
    });

    it('reads captures from other fields too', () => {
      const sut = acl({ name: '/^([a-z]+)\\/([a-z]+)$/', account: '${name:2}-bot' });
      expect(matches(sut, { name: 'team/web', account: 'web-bot' })).toBe(true);
      expect(matches(sut, { name: 'team/web', account: 'team-bot' })).toBe(false);
    });

    it('works in label patterns', () => {
      const sut = acl({ name: '/^([a-z]+)\\//', labels: { team: '${name:1}' } });
      expect(matches(sut, { name: 'web/app', labels: toLabels({ team: ['ops', 'web'] }) })).toBe(true);
      expect(matches(sut, { name: 'db/app', labels: toLabels({ team: ['ops', 'web'] }) })).toBe(false);
    });

    it('escapes a captured value, so an account like *@corp cannot reach every repository', () => {
      const sut = acl({ account: '/^(.+)@corp$/', name: '${account:1}/*' });
      expect(matches(sut, { account: '*@corp', name: 'alice/app' })).toBe(false);
      expect(matches(sut, { account: '*@corp', name: '*/app' })).toBe(true);
    });

    it('lets the capture source use value placeholders', () => {
      const sut = acl({ name: '/^${account}\\/([a-z]+)$/', service: '${name:1}.local' });
      expect(matches(sut, { account: 'alice', name: 'alice/registry', service: 'registry.local' })).toBe(true);
      expect(matches(sut, { account: 'bob', name: 'alice/registry', service: 'registry.local' })).toBe(false);
    });
  });

  describe('${labels:x}', () => {
    it('tries each of the user values', () => {
      const sut = acl({ name: '${labels:project}/*' });
      expect(matches(sut, { name: 'beta/app', labels: toLabels({ project: ['alpha', 'beta'] }) })).toBe(true);
      expect(matches(sut, { name: 'gamma/app', labels: toLabels({ project: ['alpha', 'beta'] }) })).toBe(false);
    });

    it('escapes label values in native configs: a value "*" grants nothing extra', () => {
      const sut = acl({ name: '${labels:team}/*' });
      expect(matches(sut, { name: 'other/app', labels: toLabels({ team: ['*'] }) })).toBe(false);
      expect(matches(sut, { name: 'team/app', labels: toLabels({ 'full-access': ['team/*'] }) })).toBe(false);
    });

    it('matches an escaped label value literally', () => {
      expect(matches(acl({ name: '${labels:repo}' }), { name: 'a.b', labels: toLabels({ repo: ['a.b'] }) })).toBe(true);
      expect(matches(acl({ name: '/^${labels:repo}$/' }), { name: 'aXb', labels: toLabels({ repo: ['a.b'] }) })).toBe(false);
    });

    it('inserts label values as pattern text in docker_auth files, as docker_auth does', () => {
      const sut = dockerAuthAcl({ name: '${labels:full-access}' });
      expect(matches(sut, { name: 'team/app', labels: toLabels({ 'full-access': ['team/*'] }) })).toBe(true);
    });

    it('inserts label values as pattern text in native configs only when the rule says ${labels_pattern:…}', () => {
      const sut = acl({ name: '${labels_pattern:full-access}' });
      expect(matches(sut, { name: 'team/app', labels: toLabels({ 'full-access': ['team/*'] }) })).toBe(true);
      expect(matches(sut, { name: 'other/app', labels: toLabels({ 'full-access': ['team/*'] }) })).toBe(false);
    });

    it('tries the cartesian product of several labels', () => {
      const sut = acl({ name: '${labels:org}/${labels:env}-*' });
      const labels = toLabels({ org: ['a', 'b'], env: ['dev', 'prod'] });
      expect(matches(sut, { name: 'b/prod-app', labels })).toBe(true);
      expect(matches(sut, { name: 'c/prod-app', labels })).toBe(false);
    });

    it('uses the same value for repeated uses of one label', () => {
      const sut = acl({ name: '${labels:org}/${labels:org}' });
      const labels = toLabels({ org: ['a', 'b'] });
      expect(matches(sut, { name: 'a/a', labels })).toBe(true);
      expect(matches(sut, { name: 'a/b', labels })).toBe(false);
    });

    it('does not match when the label is missing', () => {
      expect(matches(acl({ name: '${labels:project}*' }), { name: 'x' })).toBe(false);
    });

    it('does not match when the label list is empty', () => {
      expect(matches(acl({ name: '${labels:project}*' }), { name: 'x', labels: toLabels({ project: [] }) })).toBe(false);
    });

    it('skips a raw label value that breaks the pattern and tries the others (docker_auth)', () => {
      const sut = dockerAuthAcl({ name: '${labels:project}' });
      expect(matches(sut, { name: 'ok/x', labels: toLabels({ project: ['[', 'ok/*'] }) })).toBe(true);
    });

    it(`matches up to ${MAX_LABEL_COMBINATIONS} combinations`, () => {
      const sut = acl({ name: '${labels:a}/${labels:b}' });
      const values = Array.from({ length: 16 }, (_, i) => `v${i}`);
      expect(matches(sut, { name: 'v15/v15', labels: toLabels({ a: values, b: values }) })).toBe(true);
    });

    it(`does not match beyond ${MAX_LABEL_COMBINATIONS} combinations (fail closed)`, () => {
      const sut = acl({ name: '${labels:a}/${labels:b}' });
      const values = Array.from({ length: 17 }, (_, i) => `v${i}`);
      expect(matches(sut, { name: 'v0/v0', labels: toLabels({ a: values, b: values }) })).toBe(false);
    });

    it('works inside a regex', () => {
      expect(matches(acl({ name: '/^(${labels:project})\\//' }), { name: 'beta/app', labels: toLabels({ project: ['beta'] }) })).toBe(true);
      expect(matches(acl({ name: '/^(${labels:project})\\//' }), { name: 'beta/app', labels: toLabels({ project: ['alpha|beta'] }) })).toBe(false);
      expect(matches(dockerAuthAcl({ name: '/^(${labels:project})\\//' }), { name: 'beta/app', labels: toLabels({ project: ['alpha|beta'] }) })).toBe(true);
    });
  });

  describe('repeated requests', () => {
    it('give the same answer once the substituted pattern is cached', () => {
      const sut = acl({ name: '${account}/*' });
      for (let i = 0; i < 3; i++) {
        expect(matches(sut, { account: 'alice', name: 'alice/app' })).toBe(true);
        expect(matches(sut, { account: 'bob', name: 'alice/app' })).toBe(false);
      }
    });

    it('stay correct after the cache has evicted entries', () => {
      const sut = acl({ name: '${account}/*' });
      for (let i = 0; i < 1500; i++) matches(sut, { account: `user${i}`, name: `user${i}/x` });
      expect(matches(sut, { account: 'user0', name: 'user0/x' })).toBe(true);
      expect(matches(sut, { account: 'user0', name: 'user1/x' })).toBe(false);
    });
  });
});
