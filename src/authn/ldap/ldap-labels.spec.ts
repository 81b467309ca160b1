import type { Entry } from 'ldapts';
import { attributeValues, buildLabels, labelValues } from './ldap-labels.js';

const entry: Entry = {
  dn: 'uid=alice,ou=people,dc=example,dc=org',
  memberof: ['cn=Developers,ou=groups,dc=example,dc=org', 'cn=Ops,ou=groups,dc=example,dc=org'],
  title: 'Engineer',
  jpegPhoto: Buffer.from([1, 2, 3]),
};

describe('attributeValues', () => {
  it('finds an attribute whatever case the server answered in', () => {
    expect(attributeValues(entry, 'memberOf')).toHaveLength(2);
  });

  it('gives a single value as a list', () => {
    expect(attributeValues(entry, 'title')).toEqual(['Engineer']);
  });

  it('ignores binary values and the DN', () => {
    expect(attributeValues(entry, 'jpegPhoto')).toEqual([]);
    expect(attributeValues(entry, 'dn')).toEqual([]);
  });
});

describe('labelValues', () => {
  it('applies parse_cn before lower_case, as docker_auth does', () => {
    expect(labelValues(['cn=Developers,ou=groups'], { parseCn: true, lowerCase: true })).toEqual(['developers']);
  });

  it('keeps values as they are without options', () => {
    expect(labelValues(['cn=Developers,ou=groups'], { parseCn: false, lowerCase: false })).toEqual(['cn=Developers,ou=groups']);
  });
});

describe('buildLabels', () => {
  const groups = { label: 'groups', attribute: 'memberOf', parseCn: true, lowerCase: false };

  it('maps configured attributes to labels', () => {
    expect(buildLabels(entry, [groups, { label: 'title', attribute: 'title', parseCn: false, lowerCase: true }])).toEqual({
      groups: ['Developers', 'Ops'],
      title: ['engineer'],
    });
  });

  it('merges extra values into the same label without duplicates', () => {
    expect(buildLabels(entry, [groups], { groups: ['Ops', 'builders'] })).toEqual({ groups: ['Developers', 'Ops', 'builders'] });
  });

  it('drops label names that would pollute prototypes', () => {
    const labels = buildLabels(entry, [{ ...groups, label: '__proto__' }]);
    expect(Object.keys(labels)).toEqual([]);
  });
});
