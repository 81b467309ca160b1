import { compileGrant } from './action.grant.js';
import { KNOWN_ACTIONS, type AclRuleConfig, type ConfigIssue } from './acl.types.js';
import type { CompiledAcl, CompiledRule } from './compiled-acl.js';
import { parseIpRule, type IpRule } from './ip.matcher.js';
import { LruCache } from './lru.cache.js';
import { compilePattern, type Pattern, type PatternOptions } from './pattern.compiler.js';
import { PATTERN_FIELDS, type PatternField } from './template.parser.js';

/** Substituted patterns kept compiled per ACL; bounds memory whatever clients send. */
const PATTERN_CACHE_SIZE = 1024;

const ENTRY_KEYS: ReadonlySet<string> = new Set(['match', 'actions', 'comment']);
const MATCH_KEYS: ReadonlySet<string> = new Set([...PATTERN_FIELDS, 'ip', 'labels']);
const KNOWN: ReadonlySet<string> = new Set(KNOWN_ACTIONS);
/** Keys `toLabels` drops: a condition on them could never hold. */
const UNREACHABLE_LABELS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface AclCompilation {
  readonly acl: CompiledAcl;
  readonly issues: ConfigIssue[];
  readonly warnings: string[];
}

/**
 * Compiles and validates an `acl` list, reporting every problem at once. Input is typed but may
 * come straight from YAML, so shapes are checked too. When there is any issue the returned ACL
 * has no entries, so a caller that ignores issues grants nothing instead of running with a
 * deny entry missing.
 */
export interface AclOptions {
  /**
   * Our `**` glob extension (crosses `/`). Off for docker_auth-format configs: Go's path.Match
   * reads `**` as `*`, and a migrated rule must not grant more than it did there.
   */
  readonly globstar?: boolean;
}

export function compileAcl(rules: readonly AclRuleConfig[], path = 'acl', options: AclOptions = {}): AclCompilation {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  if (!Array.isArray(rules)) {
    return { acl: { rules: [] }, issues: [{ path, message: 'must be a list of entries' }], warnings };
  }
  const patterns: PatternOptions = { cache: new LruCache(PATTERN_CACHE_SIZE), globstar: options.globstar ?? true };
  const compiled: CompiledRule[] = [];
  rules.forEach((entry, index) => {
    const rule = compileEntry(entry as unknown, index, `${path}[${index}]`, patterns, issues, warnings);
    if (rule) compiled.push(rule);
  });
  return { acl: { rules: issues.length > 0 ? [] : compiled }, issues, warnings };
}

function compileEntry(
  entry: unknown,
  index: number,
  at: string,
  patterns: PatternOptions,
  issues: ConfigIssue[],
  warnings: string[],
): CompiledRule | null {
  if (!isRecord(entry)) {
    issues.push({ path: at, message: 'must be a mapping with match and actions' });
    return null;
  }
  const before = issues.length;
  for (const key of Object.keys(entry)) if (!ENTRY_KEYS.has(key)) issues.push({ path: `${at}.${key}`, message: 'unknown key' });
  const actions = checkActions(entry['actions'], `${at}.actions`, issues);
  const comment = entry['comment'];
  if (comment !== undefined && typeof comment !== 'string') issues.push({ path: `${at}.comment`, message: 'must be a string' });
  const match = entry['match'];
  if (match === undefined) issues.push({ path: `${at}.match`, message: 'required (use {} to match everything)' });
  else if (!isRecord(match)) issues.push({ path: `${at}.match`, message: 'must be a mapping' });
  const conditions = isRecord(match) ? compileMatch(match, `${at}.match`, patterns, issues) : null;
  if (actions) warnAboutActions(actions, at, warnings);
  if (issues.length > before || actions === null || conditions === null) return null;
  return {
    index,
    ...(typeof comment === 'string' ? { comment } : {}),
    grant: compileGrant(actions),
    ...conditions,
  };
}

function checkActions(value: unknown, at: string, issues: ConfigIssue[]): string[] | null {
  if (value === undefined) {
    issues.push({ path: at, message: 'required (use [] for an explicit deny)' });
    return null;
  }
  if (!Array.isArray(value)) {
    issues.push({ path: at, message: 'must be a list' });
    return null;
  }
  let ok = true;
  value.forEach((action: unknown, i) => {
    if (typeof action !== 'string' || !KNOWN.has(action)) {
      issues.push({ path: `${at}[${i}]`, message: `unknown action ${JSON.stringify(action)} (known: ${KNOWN_ACTIONS.join(', ')})` });
      ok = false;
    }
  });
  return ok ? (value as string[]) : null;
}

function warnAboutActions(actions: readonly string[], at: string, warnings: string[]): void {
  if (actions.length > 1 && actions.includes('*')) {
    warnings.push(`${at}.actions: "*" is a wildcard only when it is the only action; in this list it grants nothing`);
  }
  if (actions.includes('push') && !actions.includes('pull')) {
    warnings.push(`${at}: grants push without pull; the registry needs both for every upload`);
  }
}

type Conditions = Pick<CompiledRule, 'ip' | 'fields' | 'labels' | 'captureSources'>;

function compileMatch(match: Record<string, unknown>, at: string, patterns: PatternOptions, issues: ConfigIssue[]): Conditions | null {
  const before = issues.length;
  for (const key of Object.keys(match)) if (!MATCH_KEYS.has(key)) issues.push({ path: `${at}.${key}`, message: 'unknown key' });

  const fields: { field: PatternField; pattern: Pattern }[] = [];
  for (const field of PATTERN_FIELDS) {
    if (match[field] === undefined) continue;
    const pattern = patternAt(match[field], `${at}.${field}`, patterns, issues);
    if (pattern) fields.push({ field, pattern });
  }

  const labels: { key: string; pattern: Pattern }[] = [];
  const rawLabels = match['labels'];
  if (rawLabels !== undefined) {
    if (!isRecord(rawLabels)) issues.push({ path: `${at}.labels`, message: 'must be a mapping of label name to pattern' });
    else
      for (const [key, value] of Object.entries(rawLabels)) {
        if (UNREACHABLE_LABELS.has(key) || key === '') {
          issues.push({ path: `${at}.labels.${key}`, message: 'label name can never be present on a user' });
          continue;
        }
        const pattern = patternAt(value, `${at}.labels.${key}`, patterns, issues);
        if (pattern) labels.push({ key, pattern });
      }
  }

  let ip: IpRule | null = null;
  if (match['ip'] !== undefined) {
    const text = match['ip'];
    ip = typeof text === 'string' ? parseIpRule(text) : null;
    if (ip === null) issues.push({ path: `${at}.ip`, message: `invalid IP address or CIDR ${JSON.stringify(text)}` });
  }

  const captureSources = checkCaptures(fields, labels, at, issues);
  if (issues.length > before) return null;
  fields.sort((a, b) => Number(a.pattern.template.dynamic) - Number(b.pattern.template.dynamic));
  return { ip, fields, labels, captureSources };
}

function patternAt(value: unknown, at: string, patterns: PatternOptions, issues: ConfigIssue[]): Pattern | null {
  if (typeof value !== 'string') {
    issues.push({ path: at, message: 'must be a string pattern' });
    return null;
  }
  const result = compilePattern(value, patterns);
  if (result.ok) return result.pattern;
  for (const message of result.messages) issues.push({ path: at, message });
  return null;
}

/**
 * `${field:N}` must name a regex of this entry that has group N, and that regex may only use
 * plain value placeholders (a capture source with captures or label combinations of its own would
 * be circular or multiply the work). docker_auth lets such entries load and never match; an entry
 * that can never match is most often a deny that silently stopped working, so we refuse it.
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
