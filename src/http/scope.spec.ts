import type { RequestedScope } from '../grant/token-request.types.js';
import { MAX_SCOPE_BYTES, MAX_SCOPES_PER_REQUEST, parseScopes } from './scope.js';

const scopesOf = (...values: string[]): RequestedScope[] => {
  const result = parseScopes(values);
  if (!result.ok) throw new Error(`expected scopes, got error: ${result.error}`);
  return result.scopes;
};
const errorOf = (...values: string[]): string | undefined => {
  const result = parseScopes(values);
  return result.ok ? undefined : result.error;
};
const only = (...values: string[]): RequestedScope => {
  const scopes = scopesOf(...values);
  expect(scopes).toHaveLength(1);
  return scopes[0];
};

describe(parseScopes.name, () => {
  describe('grammar', () => {
    it('reads type, name and actions of one scope', () => {
      expect(only('repository:team/app:pull')).toEqual({
        type: 'repository',
        name: 'team/app',
        raw: ['repository:team/app:pull'],
        actions: ['pull'],
        unknownActions: [],
        valid: true,
      });
    });

    it('keeps host:port inside the name', () => {
      expect(only('repository:localhost:5000/team/app:pull,push')).toMatchObject({ name: 'localhost:5000/team/app', actions: ['pull', 'push'], valid: true });
    });

    it('drops the resource class from the type', () => {
      expect(only('repository(plugin):vieux/sshfs:pull')).toMatchObject({ type: 'repository', name: 'vieux/sshfs', valid: true });
    });

    it('keeps the name byte for byte, without library/ prefix or lower-casing', () => {
      expect(only('repository:ubuntu:pull').name).toBe('ubuntu');
      expect(only('repository:Registry.Example.com/app:pull').name).toBe('Registry.Example.com/app');
    });

    it('reads the catalog scope with its literal * action', () => {
      expect(only('registry:catalog:*')).toMatchObject({ type: 'registry', name: 'catalog', actions: ['*'], valid: true });
    });

    it('knows delete and * on repositories', () => {
      expect(only('repository:a:push,pull,delete').actions).toEqual(['delete', 'pull', 'push']);
      expect(only('repository:a:*').actions).toEqual(['*']);
    });
  });

  describe('several scopes', () => {
    it('returns nothing for no scope value', () => {
      expect(scopesOf()).toEqual([]);
    });

    it.each([[''], [' '], ['   ']])('ignores an empty scope value (%j)', (value) => {
      expect(scopesOf(value)).toEqual([]);
    });

    it('splits one value on spaces', () => {
      expect(scopesOf('repository:a:pull repository:b:pull').map((s) => s.name)).toEqual(['a', 'b']);
    });

    it('ignores runs of spaces between scopes', () => {
      expect(scopesOf('  repository:a:pull    repository:b:pull ').map((s) => s.name)).toEqual(['a', 'b']);
    });

    it('reads every repeated value', () => {
      expect(scopesOf('repository:dst:push,pull', 'repository:src:pull').map((s) => s.name)).toEqual(['dst', 'src']);
    });

    it('keeps the order of first appearance', () => {
      expect(scopesOf('repository:b:pull repository:a:pull', 'repository:b:push').map((s) => s.name)).toEqual(['b', 'a']);
    });
  });

  describe('actions and merging', () => {
    it("merges containerd's repeated scope into one entry", () => {
      expect(only('repository:x:pull repository:x:pull,push')).toMatchObject({
        actions: ['pull', 'push'],
        raw: ['repository:x:pull', 'repository:x:pull,push'],
      });
    });

    it('merges scopes for the same resource across values', () => {
      expect(only('repository:x:push', 'repository:x:pull').actions).toEqual(['pull', 'push']);
    });

    it('merges a classed scope with the plain one', () => {
      expect(only('repository(plugin):x:pull', 'repository:x:push')).toMatchObject({ type: 'repository', actions: ['pull', 'push'] });
    });

    it('keeps scopes for different names apart', () => {
      expect(scopesOf('repository:x:pull repository:X/y:pull')).toHaveLength(2);
    });

    it('lists a repeated piece once in raw', () => {
      expect(only('repository:x:pull', 'repository:x:pull').raw).toEqual(['repository:x:pull']);
    });

    it('sorts actions and removes duplicates', () => {
      expect(only('repository:x:push,pull,push,pull').actions).toEqual(['pull', 'push']);
    });

    it('drops empty actions', () => {
      expect(only('repository:x:,pull,,push,').actions).toEqual(['pull', 'push']);
    });

    it('drops unknown actions and reports them', () => {
      expect(only('repository:x:pull,scanner-pull,PULL')).toMatchObject({ actions: ['pull'], unknownActions: ['PULL', 'scanner-pull'], valid: true });
    });
  });

  describe('scopes that parse but grant nothing', () => {
    it.each([
      ['an unknown type', 'repo:x:pull', 'unknown resource type'],
      ['an empty type', ':x:pull', 'unknown resource type'],
      ['an uppercase type', 'Repository:x:pull', 'unknown resource type'],
      ['a malformed class', 'repository(plugin:x:pull', 'unknown resource type'],
      ['an invalid repository name', 'repository:Foo:pull', 'invalid repository name'],
      ['an empty repository name', 'repository::pull', 'invalid repository name'],
      ['a wildcard repository name', 'repository:team/*:pull', 'invalid repository name'],
      ['a registry resource other than the catalog', 'registry:other:*', 'unknown registry resource'],
      ['an empty actions part', 'repository:x:', 'no known action'],
      ['only unknown actions', 'repository:x:read,write', 'no known action'],
    ])('marks %s invalid', (_, piece, reason) => {
      expect(only(piece)).toMatchObject({ valid: false, invalidReason: reason });
    });

    it('still reports the invalid scope with its name as sent', () => {
      expect(only('repository:Foo:pull')).toMatchObject({ type: 'repository', name: 'Foo', actions: ['pull'] });
    });

    it('makes a resource valid when another piece adds a known action', () => {
      expect(only('repository:x:read', 'repository:x:pull')).toMatchObject({ valid: true, actions: ['pull'], unknownActions: ['read'] });
    });
  });

  describe('scopes that cannot be parsed', () => {
    it.each([
      ['no colon', 'repository'],
      ['one colon', 'repository:x'],
      ['one colon and a name with a slash', 'repository:team/app'],
    ])('refuses a scope with %s', (_, piece) => {
      expect(errorOf(piece)).toMatch(/expected type:name:actions/);
    });

    it.each([
      ['a tab', 'repository:x:pull\trepository:y:pull'],
      ['a newline', 'repository:x:pull\n'],
      ['NUL', 'repository:x\0:pull'],
      ['DEL', 'repository:x:pull\u007f'],
    ])('refuses %s', (_, value) => {
      expect(errorOf(value)).toMatch(/control characters/);
    });

    it('refuses the whole request when one piece is malformed', () => {
      expect(errorOf('repository:x:pull', 'broken')).toBeDefined();
    });

    it(`accepts ${MAX_SCOPES_PER_REQUEST} scopes`, () => {
      const values = Array.from({ length: MAX_SCOPES_PER_REQUEST }, (_, i) => `repository:r${i}:pull`);
      expect(scopesOf(...values)).toHaveLength(MAX_SCOPES_PER_REQUEST);
    });

    it('refuses one scope more than the cap', () => {
      const values = Array.from({ length: MAX_SCOPES_PER_REQUEST + 1 }, (_, i) => `repository:r${i}:pull`);
      expect(errorOf(values.join(' '))).toMatch(/too many scopes/);
    });

    it('counts pieces, not resources, against the cap', () => {
      expect(errorOf(Array.from({ length: MAX_SCOPES_PER_REQUEST + 1 }, () => 'repository:x:pull').join(' '))).toMatch(/too many scopes/);
    });

    it(`accepts a scope of exactly ${MAX_SCOPE_BYTES} bytes`, () => {
      const piece = `repository:${'a'.repeat(MAX_SCOPE_BYTES - 'repository::pull'.length)}:pull`;
      expect(scopesOf(piece)).toHaveLength(1);
    });

    it('refuses a scope one byte over the cap, counting UTF-8 bytes', () => {
      const piece = `repository:${'a'.repeat(MAX_SCOPE_BYTES - 'repository::pull'.length - 1)}é:pull`;
      expect(errorOf(piece)).toMatch(/scope too long/);
    });
  });
});
