import fc from 'fast-check';
import { isValidRepositoryName, MAX_REPOSITORY_NAME_LENGTH } from './repository-name.js';

describe(isValidRepositoryName.name, () => {
  it.each([
    ['a single component', 'ubuntu'],
    ['a single character', 'a'],
    ['digits only', '0123'],
    ['two components', 'library/ubuntu'],
    ['many components', 'a/b/c/d/e'],
    ['a dot separator', 'foo.bar'],
    ['an underscore separator', 'foo_bar'],
    ['a double underscore separator', 'foo__bar'],
    ['a dash separator', 'foo-bar'],
    ['a run of dashes', 'foo---bar'],
    ['mixed separators', 'a.b_c__d-e--f'],
    ['a localhost domain', 'localhost/foo'],
    ['a domain with a port', 'localhost:5000/foo'],
    ['a dotted domain', 'registry.example.com/team/app'],
    ['uppercase in the domain', 'Registry.Example.COM/app'],
    ['a single uppercase domain label', 'Foo/bar'],
    ['dashes inside a domain label', 'my-registry--1.example.com/app'],
    ['an IPv4 domain with a port', '192.168.1.10:5000/foo'],
    ['an IPv6 domain', '[2001:db8::1]/foo'],
    ['an IPv6 domain with a port', '[::1]:5000/foo'],
    ['an underscore in a first component that is not a domain', 'exa_mple.com/foo'],
  ])('accepts %s (%s)', (_, name) => {
    expect(isValidRepositoryName(name)).toBe(true);
  });

  it.each([
    ['the empty name', ''],
    ['uppercase in a single component', 'Ubuntu'],
    ['uppercase in a path component', 'library/Ubuntu'],
    ['uppercase in the last of several components', 'example.com/team/App'],
    ['a leading separator', '_foo'],
    ['a trailing separator', 'foo.'],
    ['a leading dash', '-foo'],
    ['two dots', 'foo..bar'],
    ['three underscores', 'foo___bar'],
    ['mixed adjacent separators', 'foo._bar'],
    ['a leading slash', '/foo'],
    ['a trailing slash', 'foo/'],
    ['an empty component', 'foo//bar'],
    ['a space', 'foo bar'],
    ['a colon without a path', 'foo:5000'],
    ['a domain and port only', 'localhost:5000'],
    ['a port that is not numeric', 'example.com:http/foo'],
    ['an empty port', 'example.com:/foo'],
    ['a domain label starting with a dash', '-example.com/foo'],
    ['a domain label ending with a dash', 'example-.com/foo'],
    ['an empty domain label', 'example..com/foo'],
    ['an unbracketed IPv6 address', '::1/foo'],
    ['an IPv6 address alone', '[::1]'],
    ['non-hex characters in brackets', '[::g]/foo'],
    ['an IPv6 zone identifier', '[fe80::1%eth0]/foo'],
    ['a tag', 'ubuntu:latest'],
    ['a digest', 'ubuntu@sha256:0123456789abcdef0123456789abcdef'],
    ['a wildcard', 'team/*'],
    ['non-ASCII letters', 'föö'],
    ['a trailing newline', 'foo\n'],
    ['a NUL', 'foo\0bar'],
  ])('refuses %s (%j)', (_, name) => {
    expect(isValidRepositoryName(name)).toBe(false);
  });

  it(`accepts a name of exactly ${MAX_REPOSITORY_NAME_LENGTH} characters`, () => {
    expect(isValidRepositoryName('a'.repeat(MAX_REPOSITORY_NAME_LENGTH))).toBe(true);
  });

  it('refuses a name one character over the cap', () => {
    expect(isValidRepositoryName('a'.repeat(MAX_REPOSITORY_NAME_LENGTH + 1))).toBe(false);
  });

  it('counts the domain in the length cap', () => {
    const domain = 'registry.example.com:5000/';
    expect(isValidRepositoryName(domain + 'a'.repeat(MAX_REPOSITORY_NAME_LENGTH - domain.length))).toBe(true);
    expect(isValidRepositoryName(domain + 'a'.repeat(MAX_REPOSITORY_NAME_LENGTH - domain.length + 1))).toBe(false);
  });

  it('refuses any name containing an uppercase letter outside the domain', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{0,8}$/), fc.stringMatching(/^[A-Z]$/), fc.stringMatching(/^[a-z0-9]{0,8}$/), (before, upper, after) => {
        expect(isValidRepositoryName(`example.com/${before}${upper}${after}`)).toBe(false);
      }),
    );
  });
});
