import fc from 'fast-check';
import { KNOWN_ACTIONS } from '../acl/acl.types.js';
import type { RequestedScope } from '../grant/token-request.types.js';
import { MAX_SCOPES_PER_REQUEST, parseScopes } from './scope.js';

const scopesOf = (...values: string[]): RequestedScope[] => {
  const result = parseScopes(values);
  if (!result.ok) throw new Error(`expected scopes, got error: ${result.error}`);
  return result.scopes;
};
const only = (...values: string[]): RequestedScope => {
  const scopes = scopesOf(...values);
  expect(scopes).toHaveLength(1);
  return scopes[0];
};

describe(`${parseScopes.name} properties`, () => {
  const alphanumeric = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  const separator = fc.constantFrom('.', '_', '__', '-', '---');
  const component = fc
    .tuple(alphanumeric, fc.array(fc.tuple(separator, alphanumeric), { maxLength: 2 }))
    .map(([head, tail]) => head + tail.map(([sep, run]) => sep + run).join(''));
  const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,4}[a-zA-Z0-9])?$/);
  const domain = fc
    .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
    .map(([labels, port]) => labels.join('.') + (port === undefined ? '' : `:${port}`));
  const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
  const name = fc.tuple(fc.option(domain, { nil: undefined }), path).map(([host, rest]) => (host === undefined ? rest : `${host}/${rest}`));
  const actions = fc.array(fc.constantFrom(...KNOWN_ACTIONS), { minLength: 1, maxLength: 6 });
  const expected = (requested: readonly string[]): string[] => [...new Set(requested)].sort();

  it('round-trips any valid name and known actions', () => {
    fc.assert(
      fc.property(name, actions, (n, a) => {
        expect(only(`repository:${n}:${a.join(',')}`)).toMatchObject({ type: 'repository', name: n, actions: expected(a), valid: true });
      }),
    );
  });

  it('reads a name carrying host:port right', () => {
    const withPort = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 65535 }), path);
    fc.assert(
      fc.property(withPort, actions, ([labels, port, rest], a) => {
        const n = `${labels.join('.')}:${port}/${rest}`;
        expect(only(`repository:${n}:${a.join(',')}`)).toMatchObject({ name: n, actions: expected(a), valid: true });
      }),
    );
  });

  const piece = fc
    .tuple(
      fc.constantFrom('repository', 'repository(plugin)', 'registry', 'other'),
      fc.constantFrom('a', 'b/c', 'host:5000/d', 'catalog', 'Bad'),
      fc.array(fc.constantFrom('pull', 'push', 'delete', '*', 'scan', ''), { maxLength: 4 }),
    )
    .map(([type, n, a]) => `${type}:${n}:${a.join(',')}`);
  const normalized = (scopes: readonly RequestedScope[]): Record<string, unknown> =>
    Object.fromEntries(scopes.map((s) => [`${s.type}:${s.name}`, { ...s, raw: [...s.raw].sort() }]));

  it('merges to the same result whatever the order and grouping of pieces', () => {
    const pieces = fc.array(piece, { maxLength: MAX_SCOPES_PER_REQUEST });
    fc.assert(
      fc.property(
        pieces.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))),
        ([list, shuffled]) => {
          const asValues = scopesOf(...list);
          const asOneValue = scopesOf(shuffled.join(' '));
          expect(normalized(asOneValue)).toEqual(normalized(asValues));
        },
      ),
    );
  });

  it('never returns an action outside the known set, nor a duplicate', () => {
    const text = fc.string({ unit: 'binary-ascii', maxLength: 80 });
    fc.assert(
      fc.property(fc.array(fc.oneof(text, piece), { maxLength: 8 }), (values) => {
        const result = parseScopes(values);
        if (!result.ok) return;
        for (const scope of result.scopes) {
          expect(scope.actions.every((action) => (KNOWN_ACTIONS as readonly string[]).includes(action))).toBe(true);
          expect(new Set(scope.actions).size).toBe(scope.actions.length);
        }
      }),
    );
  });
});
