import { compileGlob, escapeGlob, type CompiledGlob } from './glob.matcher.js';
import type { LruCache } from './lru.cache.js';
import { compileRegex, escapeRegex, type CompiledRegex } from './regex.matcher.js';
import { parseTemplate, withStandIns, type PatternField, type Segment, type Template } from './template.parser.js';

/**
 * Upper bound on `${labels:…}` combinations tried for one pattern. A user with many values for
 * several labels used in one pattern would otherwise cost a product of their counts per request;
 * beyond the bound the pattern does not match (fail closed) rather than trying a subset that
 * would depend on label order.
 */
export const MAX_LABEL_COMBINATIONS = 256;

/** What a pattern with placeholders reads from the request being authorized. */
export interface TemplateContext {
  value(field: PatternField): string;
  /** Capture group of the entry's regex for `field` on the request value; null: no match. */
  capture(field: PatternField, group: number): string | null;
  labels(key: string): readonly string[] | undefined;
}

/** `path-glob` is Go's path.Match exactly (no `**` extension), for docker_auth configs. */
export type PatternKind = 'regex' | 'glob' | 'path-glob';

export interface Pattern {
  readonly kind: PatternKind;
  readonly raw: string;
  readonly template: Template;
  /** Capture groups of a regex (0 for globs), known at load: substituted values add none. */
  readonly groupCount: number;
  test(value: string, ctx: TemplateContext): boolean;
  /** Regex only: groups of the leftmost match, or null. */
  groups(value: string, ctx: TemplateContext): readonly string[] | null;
}

/** Compiled substituted patterns, keyed by kind and text; `null` records "does not compile". */
export type PatternCache = LruCache<string, CompiledRegex | CompiledGlob | null>;

/** Shared by every pattern of one compiled ACL. */
export interface PatternOptions {
  readonly cache: PatternCache;
  /** `**` crosses `/` (ours); off, `**` means `*` as in Go's path.Match. */
  readonly globstar: boolean;
  /**
   * `${labels:x}` values inserted as pattern text (docker_auth's behaviour, where operators use
   * label values as patterns) instead of escaped like every other value. Off for native configs:
   * a label value `*` from a backend must not widen `${labels:team}/*` to every repository.
   */
  readonly rawLabels: boolean;
}

export type PatternResult = { readonly ok: true; readonly pattern: Pattern } | { readonly ok: false; readonly messages: string[] };

const STAND_IN = 'x';

/**
 * docker_auth's rule: `/…/` longer than two characters is a regex, anything else a glob. The
 * kind is decided on the pattern as written, before substitution, so no value can turn a glob
 * into a regex.
 */
export function isRegexPattern(raw: string): boolean {
  return raw.length > 2 && raw.startsWith('/') && raw.endsWith('/');
}

export function compilePattern(raw: string, options: PatternOptions): PatternResult {
  const kind: PatternKind = isRegexPattern(raw) ? 'regex' : options.globstar ? 'glob' : 'path-glob';
  const body = kind === 'regex' ? raw.slice(1, -1) : raw;
  const parsed = parseTemplate(body);
  if (!parsed.ok) return { ok: false, messages: parsed.messages };
  const template = parsed.template;
  if (kind === 'regex' && template.dynamic && /(^|[^\\])(\\\\)*\\Q/.test(body)) {
    return { ok: false, messages: ['placeholders cannot be used in a regex with \\Q…\\E (escaping does not apply there)'] };
  }
  // With placeholders, the syntax check uses a stand-in value. Raw label values (docker_auth) are
  // checked when they arrive: a value that breaks the pattern matches nothing.
  const probe = compile(kind, withStandIns(template, STAND_IN));
  if (!probe.ok) return { ok: false, messages: [`invalid ${kind === 'regex' ? 'regular expression' : 'glob pattern'}: ${probe.message}`] };
  const groupCount = 'groupCount' in probe.matcher ? probe.matcher.groupCount : 0;
  const base = { kind, raw, template, groupCount };
  if (!template.dynamic) {
    const matcher = probe.matcher;
    const groups = regexGroups(matcher);
    return { ok: true, pattern: { ...base, test: (value) => matcher.test(value), groups: (value) => groups(value) } };
  }
  const dynamic = new DynamicPattern(kind, template, options.cache, options.rawLabels);
  return {
    ok: true,
    pattern: { ...base, test: (value, ctx) => dynamic.test(value, ctx), groups: (value, ctx) => dynamic.groups(value, ctx) },
  };
}

type Compiled = { ok: true; matcher: CompiledRegex | CompiledGlob } | { ok: false; message: string };

function compile(kind: PatternKind, source: string): Compiled {
  if (kind === 'regex') {
    const r = compileRegex(source);
    return r.ok ? { ok: true, matcher: r.regex } : r;
  }
  const g = compileGlob(source, { globstar: kind === 'glob' });
  return g.ok ? { ok: true, matcher: g.glob } : g;
}

function regexGroups(matcher: CompiledRegex | CompiledGlob): (value: string) => readonly string[] | null {
  return 'groups' in matcher ? (value) => matcher.groups(value) : () => null;
}

class DynamicPattern {
  private readonly escape: (value: string) => string;
  private readonly labelIndex: ReadonlyMap<string, number>;

  constructor(
    private readonly kind: PatternKind,
    private readonly template: Template,
    private readonly cache: PatternCache,
    private readonly rawLabels: boolean,
  ) {
    this.escape = kind === 'regex' ? escapeRegex : escapeGlob;
    this.labelIndex = new Map(template.labelKeys.map((key, i) => [key, i]));
  }

  test(value: string, ctx: TemplateContext): boolean {
    const keys = this.template.labelKeys;
    if (keys.length === 0) return this.matcherFor(ctx, [])?.test(value) ?? false;
    const lists: (readonly string[])[] = [];
    let total = 1;
    for (const key of keys) {
      const list = ctx.labels(key);
      if (list === undefined || list.length === 0) return false;
      total *= list.length;
      if (total > MAX_LABEL_COMBINATIONS) return false;
      lists.push(list);
    }
    const pick = new Array<number>(lists.length).fill(0);
    for (let n = 0; n < total; n++) {
      const chosen = pick.map((j, k) => lists[k][j]);
      if (this.matcherFor(ctx, chosen)?.test(value)) return true;
      for (let k = pick.length - 1; k >= 0; k--) {
        if (++pick[k] < lists[k].length) break;
        pick[k] = 0;
      }
    }
    return false;
  }

  /** Only used for capture sources, which have no label placeholders (checked at load). */
  groups(value: string, ctx: TemplateContext): readonly string[] | null {
    const matcher = this.matcherFor(ctx, []);
    return matcher !== null && 'groups' in matcher ? matcher.groups(value) : null;
  }

  private matcherFor(ctx: TemplateContext, chosen: readonly string[]): CompiledRegex | CompiledGlob | null {
    const source = this.render(ctx, chosen);
    if (source === null) return null;
    return this.cache.getOrCompute(`${this.kind}\u0000${source}`, () => {
      const c = compile(this.kind, source);
      return c.ok ? c.matcher : null;
    });
  }

  /**
   * One pass over the parsed segments: substituted text is never scanned again, so a value
   * containing `${…}` stays literal. Request values and captures are escaped for the pattern
   * kind; label values too, except in docker_auth files (see PatternOptions.rawLabels).
   */
  private render(ctx: TemplateContext, chosen: readonly string[]): string | null {
    let out = '';
    for (const s of this.template.segments) {
      const piece = this.piece(s, ctx, chosen);
      if (piece === null) return null;
      out += piece;
    }
    return out;
  }

  private piece(s: Segment, ctx: TemplateContext, chosen: readonly string[]): string | null {
    switch (s.kind) {
      case 'text':
        return s.text;
      case 'field':
        return this.escape(ctx.value(s.field));
      case 'capture': {
        const text = ctx.capture(s.field, s.group);
        return text === null ? null : this.escape(text);
      }
      case 'label': {
        const value = chosen[this.labelIndex.get(s.key)!];
        if (value === undefined) return null;
        return s.asPattern || this.rawLabels ? value : this.escape(value);
      }
    }
  }
}
