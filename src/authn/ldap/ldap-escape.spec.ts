import fc from 'fast-check';
import { EqualityFilter, FilterParser, AndFilter } from 'ldapts';
import { parseDn } from './ldap-dn.js';
import { compileTemplate, escapeDnValue, escapeFilterValue } from './ldap-escape.js';

describe('escapeFilterValue (RFC 4515)', () => {
  it.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\0', '\\00'],
    [')(uid=*', '\\29\\28uid=\\2a'],
  ])('escapes %j as %j', (value, expected) => {
    expect(escapeFilterValue(value)).toBe(expected);
  });

  it('leaves UTF-8 text alone (ldapts reads each \\XX as one character)', () => {
    expect(escapeFilterValue('Jürgen Ωmega')).toBe('Jürgen Ωmega');
  });

  it('keeps any value one equality assertion with exactly that value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (value) => {
        const sut = FilterParser.parseString(`(&(uid=${escapeFilterValue(value)})(objectClass=person))`);
        expect(sut).toBeInstanceOf(AndFilter);
        const first = (sut as AndFilter).filters[0];
        expect(first).toBeInstanceOf(EqualityFilter);
        expect((first as EqualityFilter).value).toBe(value);
        expect((sut as AndFilter).filters).toHaveLength(2);
      }),
    );
  });
});

describe('escapeDnValue (RFC 4514)', () => {
  it.each([
    ['smith, john', 'smith\\, john'],
    ['a+b', 'a\\+b'],
    ['x=y;z', 'x\\=y\\;z'],
    ['<"q">', '\\<\\"q\\"\\>'],
    ['back\\slash', 'back\\\\slash'],
    ['#hash', '\\#hash'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    [' ', '\\ '],
    ['nul\0', 'nul\\00'],
  ])('escapes %j as %j', (value, expected) => {
    expect(escapeDnValue(value)).toBe(expected);
  });

  it('keeps any value a single attribute value of a single RDN', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }).filter((v) => v.length > 0),
        (value) => {
          const sut = parseDn(`uid=${escapeDnValue(value)},ou=people,dc=example,dc=org`);
          expect(sut).not.toBeNull();
          expect(sut).toHaveLength(4);
          expect(sut![0]).toEqual([{ type: 'uid', value }]);
        },
      ),
    );
  });
});

describe('compileTemplate', () => {
  it('fills every occurrence of a placeholder with the escaped value', () => {
    const sut = compileTemplate('(|(uid=${account})(mail=${account}))');
    expect(sut.render({ account: 'a*' }, escapeFilterValue)).toBe('(|(uid=a\\2a)(mail=a\\2a))');
  });

  it('lists the placeholders it uses', () => {
    expect(compileTemplate('(&(member=${dn})(cn=${account})(x=${dn}))').placeholders).toEqual(['dn', 'account']);
  });

  it('does not substitute inside a value: a value containing ${account} stays literal', () => {
    const sut = compileTemplate('(uid=${account})');
    expect(sut.render({ account: '${account}' }, (v) => v)).toBe('(uid=${account})');
  });
});
