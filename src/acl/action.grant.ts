import { KNOWN_ACTIONS } from './acl.types.js';

/**
 * What an entry's `actions` grants. `["*"]` and nothing else is the wildcard (docker_auth compares
 * the whole list); in a longer list `*` is only a name that requests of `*` could intersect with,
 * and we do not let it grant `*` either: the registry reads `*` as every action, delete included.
 */
export type Grant = { readonly kind: 'all' } | { readonly kind: 'some'; readonly allowed: ReadonlySet<ConcreteAction> };

export type ConcreteAction = 'pull' | 'push' | 'delete';

const CONCRETE: readonly ConcreteAction[] = ['pull', 'push', 'delete'];
const KNOWN: ReadonlySet<string> = new Set(KNOWN_ACTIONS);

export function compileGrant(actions: readonly string[]): Grant {
  if (actions.length === 1 && actions[0] === '*') return { kind: 'all' };
  return { kind: 'some', allowed: new Set(CONCRETE.filter((a) => actions.includes(a))) };
}

/**
 * Actions granted for one requested resource.
 * - wildcard entry: the requested actions as requested (unknown ones dropped);
 * - otherwise the requested ∩ allowed, sorted. A requested `*` (skopeo delete asks
 *   `repository:n:*`) becomes `*` on a repository only when pull, push and delete are all
 *   allowed, else the concrete actions allowed; on any other type (`registry:catalog:*`) only the
 *   wildcard entry grants it, since `pull` means nothing for the catalog.
 */
export function grantActions(grant: Grant, requested: readonly string[], type: string): string[] {
  if (grant.kind === 'all') return [...new Set(requested.filter((a) => KNOWN.has(a)))];
  const out = new Set<string>();
  for (const action of requested) {
    if (action === '*') {
      if (type !== 'repository') continue;
      if (grant.allowed.size === CONCRETE.length) out.add('*');
      else for (const a of grant.allowed) out.add(a);
    } else if (grant.allowed.has(action as ConcreteAction)) {
      out.add(action);
    }
  }
  return [...out].sort();
}
