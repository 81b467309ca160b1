/** distribution `reference.NameTotalLengthMax`: the whole name, domain included. */
export const MAX_REPOSITORY_NAME_LENGTH = 255;

// The grammar of distribution/reference `regexp.go` (`namePat`), checked component by component:
// path components are lowercase alphanumeric runs joined by one `.`, one or two `_`, or any
// number of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// Domain: DNS-like labels (uppercase allowed) joined by dots, or a bracketed IPv6 address,
// then an optional `:port`.
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

/**
 * Whether `name` is a repository name the registry could ask about (docs/security.md rule 10). A scope
 * naming anything else is granted nothing: ACL patterns are written for real names, and a name
 * the registry would never send is at best a probe.
 *
 * In distribution's regular expression the leading domain is optional, so the first component is
 * read as a domain only when the name has more than one component and the name does not already
 * match as plain path components (`Foo/bar` and `host:5000/bar` are valid, `Foo` is not).
 */
export function isValidRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_REPOSITORY_NAME_LENGTH) return false;
  const components = name.split('/');
  const [first, ...rest] = components;
  if (!rest.every((component) => PATH_COMPONENT.test(component))) return false;
  return PATH_COMPONENT.test(first) || (rest.length > 0 && DOMAIN.test(first));
}
