import { compileGrant } from './action.grant.js';
import type { AclMatchConfig, AclRuleConfig, ConfigIssue } from './acl.types.js';
import type { CompiledAcl, CompiledRule } from './compiled-acl.js';
import { parseIpRule, type IpRule } from './ip.matcher.js';
import { LruCache } from './lru.cache.js';
import { compilePattern, isRegexPattern, type Pattern, type PatternOptions } from './pattern.compiler.js';
import { PATTERN_FIELDS, type PatternField } from './template.parser.js';

/** Substituted patterns kept compiled per ACL; bounds memory whatever clients send. */
const PATTERN_CACHE_SIZE = 1024;

/** Keys `toLabels` drops: a condition on them could never hold. */
const UNREACHABLE_LABELS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface AclCompilation {
  readonly acl: CompiledAcl;
  readonly issues: ConfigIssue[];
  readonly warnings: string[];
}

export interface AclOptions {
  /**
   * Our `**` glob extension (crosses `/`). Off for docker_auth-format configs: Go's path.Match
   * reads `**` as `*`, and a migrated rule must not grant more than it did there.
   */
  readonly globstar?: boolean;
  /**
   * A `${field:N}` that can never be resolved (no such regex or group). `error` (native configs)
   * refuses the config; `never_match` (docker_auth configs) loads it with a warning and the rule
   * never matches, which is what docker_auth does with it.
   */
  readonly unresolvedCaptures?: 'error' | 'never_match';
  /** See PatternOptions.rawLabels: true for docker_auth configs only. */
  readonly rawLabels?: boolean;
}

/**
 * Compiles an `acl` list that the config schema has already shaped (keys, action names), and
 * checks what a schema cannot: patterns, placeholders, addresses. Every problem is reported at
 * once. When there is any issue the returned ACL has no entries, so a caller that ignores issues
 * grants nothing instead of running with a deny entry missing.
 */
export function compileAcl(rules: readonly AclRuleConfig[], path = 'acl', options: AclOptions = {}): AclCompilation {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const patterns: PatternOptions = { cache: new LruCache(PATTERN_CACHE_SIZE), globstar: options.globstar ?? true, rawLabels: options.rawLabels ?? false };
  const captures = options.unresolvedCaptures ?? 'error';
  const compiled: CompiledRule[] = [];
  rules.forEach((entry, index) => {
    const at = `${path}[${index}]`;
    warnAboutActions(entry.actions, at, warnings);
    warnAboutUnanchored(entry.match, `${at}.match`, warnings);
    const before = issues.length;
    const conditions = compileMatch(entry.match, `${at}.match`, patterns, issues);
    if (conditions === null || issues.length > before) return;
    if (conditions.unresolved.length > 0) {
      if (captures === 'error') return void issues.push(...conditions.unresolved);
      // docker_auth loads such a rule and it simply never matches; dropping it does the same.
      for (const problem of conditions.unresolved) warnings.push(`${problem.path}: ${problem.message}; the rule never matches`);
      return;
    }
    const { unresolved: _, ...matchers } = conditions;
    compiled.push({ index, ...(entry.comment !== undefined ? { comment: entry.comment } : {}), grant: compileGrant(entry.actions), ...matchers });
  });
  return { acl: { rules: issues.length > 0 ? [] : compiled }, issues, warnings };
}

function warnAboutActions(actions: readonly string[], at: string, warnings: string[]): void {
  if (actions.length > 1 && actions.includes('*')) {
    warnings.push(`${at}.actions: "*" is a wildcard only when it is the only action; in this list it grants nothing`);
  }
  if (actions.includes('push') && !actions.includes('pull')) {
    warnings.push(`${at}: grants push without pull; the registry needs both for every upload`);
  }
}

/**
 * A regex matches anywhere in the value (Go's MatchString, which docker_auth uses, does the
 * same): `/admin/` also matches `sysadmin` and `admin-readonly`. Legal, and sometimes meant, but
 * on the two fields that name who and what, more often a rule that grants too much.
 */
function warnAboutUnanchored(match: AclMatchConfig, at: string, warnings: string[]): void {
  for (const field of ['account', 'name'] as const) {
    const raw = match[field];
    if (raw === undefined || !isRegexPattern(raw)) continue;
    const source = raw.slice(1, -1);
    // A leading or trailing `.*`/`.+` reaches the edge anyway, and a prefix that ends in a
    // slash (`/^tools\//`) is a namespace on purpose.
    const start = source.startsWith('^') || /^\.[*+]/.test(source);
    const end = /(?<!\\)\$$/.test(source) || /\.[*+]$/.test(source) || source.endsWith('/');
    if (start && end) continue;
    const core = source.replace(/^\^/, '').replace(/(?<!\\)\$$/, '');
    const anchored = `/^${core.includes('|') ? `(?:${core})` : core}$/`;
    const where = start ? ' at the end' : end ? ' at the start' : '';
    warnings.push(
      `${at}.${field}: the regex ${raw} is not anchored${where}, so it matches any ${field} that merely contains a match; write ${anchored} to match the whole ${field}`,
    );
  }
}

type Conditions = Pick<CompiledRule, 'ip' | 'fields' | 'labels' | 'captureSources'> & { readonly unresolved: ConfigIssue[] };

function compileMatch(match: AclMatchConfig, at: string, patterns: PatternOptions, issues: ConfigIssue[]): Conditions | null {
  const before = issues.length;

  const fields: { field: PatternField; pattern: Pattern }[] = [];
  for (const field of PATTERN_FIELDS) {
    if (match[field] === undefined) continue;
    const pattern = patternAt(match[field], `${at}.${field}`, patterns, issues);
    if (pattern) fields.push({ field, pattern });
  }

  const labels: { key: string; pattern: Pattern }[] = [];
  for (const [key, value] of Object.entries(match.labels ?? {})) {
    if (UNREACHABLE_LABELS.has(key) || key === '') {
      issues.push({ path: `${at}.labels.${key}`, message: 'label name can never be present on a user' });
      continue;
    }
    const pattern = patternAt(value, `${at}.labels.${key}`, patterns, issues);
    if (pattern) labels.push({ key, pattern });
  }

  let ip: IpRule | null = null;
  if (match.ip !== undefined) {
    ip = parseIpRule(match.ip);
    if (ip === null) issues.push({ path: `${at}.ip`, message: `invalid IP address or CIDR ${JSON.stringify(match.ip)}` });
  }

  if (issues.length > before) return null;
  const unresolved: ConfigIssue[] = [];
  const captureSources = checkCaptures(fields, labels, at, unresolved);
  fields.sort((a, b) => Number(a.pattern.template.dynamic) - Number(b.pattern.template.dynamic));
  return { ip, fields, labels, captureSources, unresolved };
}

function patternAt(value: string, at: string, patterns: PatternOptions, issues: ConfigIssue[]): Pattern | null {
  const result = compilePattern(value, patterns);
  if (result.ok) return result.pattern;
  for (const message of result.messages) issues.push({ path: at, message });
  return null;
}

/**
 * `${field:N}` must name a regex of this entry that has group N, and that regex may only use
 * plain value placeholders (a capture source with captures or label combinations of its own would
 * be circular or multiply the work). docker_auth lets such entries load and never match; in a
 * native config an entry that can never match is most often a deny that silently stopped working,
 * so compileAcl refuses it there (see AclOptions.unresolvedCaptures).
 */
function checkCaptures(
  fields: readonly { field: PatternField; pattern: Pattern }[],
  labels: readonly { key: string; pattern: Pattern }[],
  at: string,
  issues: ConfigIssue[],
): Partial<Record<PatternField, Pattern>> {
  const byField = new Map(fields.map((f) => [f.field, f.pattern]));
  const sources: Partial<Record<PatternField, Pattern>> = {};
  const users = [
    ...fields.map((f) => ({ path: `${at}.${f.field}`, pattern: f.pattern })),
    ...labels.map((l) => ({ path: `${at}.labels.${l.key}`, pattern: l.pattern })),
  ];
  for (const { path, pattern } of users) {
    for (const ref of pattern.template.captures) {
      const source = byField.get(ref.field);
      let problem: string | null = null;
      if (source === undefined) problem = `match.${ref.field} is not set`;
      else if (source.kind !== 'regex') problem = `match.${ref.field} is not a regular expression`;
      else if (source.template.captures.length > 0 || source.template.labelKeys.length > 0)
        problem = `match.${ref.field} itself uses capture or label placeholders`;
      else if (ref.group > source.groupCount) problem = `match.${ref.field} has ${source.groupCount} capture group(s)`;
      if (problem !== null) issues.push({ path, message: `${ref.token} cannot be resolved: ${problem}` });
      else sources[ref.field] = source;
    }
  }
  return sources;
}
