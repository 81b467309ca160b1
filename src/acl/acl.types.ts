import type { Labels } from '../common/labels.js';

/** One `acl` entry as written in YAML (native and docker_auth share this shape). */
export interface AclRuleConfig {
  readonly match: AclMatchConfig;
  readonly actions: readonly string[];
  readonly comment?: string;
}

export interface AclMatchConfig {
  readonly account?: string;
  readonly type?: string;
  readonly name?: string;
  readonly service?: string;
  readonly ip?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** What the ACL is asked about one requested resource. */
export interface AclRequest {
  readonly account: string; // "" when anonymous
  readonly type: string; // without class: `repository(plugin)` arrives as `repository`
  readonly name: string;
  readonly service: string;
  readonly ip: string | null; // null: unknown client address, ip rules never match
  readonly labels: Labels;
  readonly actions: readonly string[]; // requested, de-duplicated, each one of KNOWN_ACTIONS
}

export type AclDecision =
  { readonly kind: 'decided'; readonly actions: readonly string[]; readonly rule: number; readonly comment?: string } | { readonly kind: 'no_match' };

/** A problem found while compiling config; `path` is like `acl[3].match.ip`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export const KNOWN_ACTIONS = ['pull', 'push', 'delete', '*'] as const;
