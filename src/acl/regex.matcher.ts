import { RE2JS } from 're2js';

/**
 * Regular expressions of ACL patterns (`/…/`). docker_auth uses Go's `regexp` (RE2): we use
 * re2js, a port of the same engine, so the syntax is the same (`(?i)`, `\pL`, `(?P<n>…)`) and
 * matching is linear in the input: no pattern can stall the server (docs/security.md rule 13).
 * Matching is a substring search, as Go's `regexp.Match`: anchors are the operator's business.
 */
export interface CompiledRegex {
  readonly source: string;
  /** Number of capture groups, group 0 excluded. */
  readonly groupCount: number;
  test(value: string): boolean;
  /**
   * Groups 1..groupCount of the leftmost match, or null when there is no match. A group that
   * did not take part in the match is `""`, as in Go's `FindStringSubmatch`.
   */
  groups(value: string): readonly string[] | null;
}

export type RegexResult = { readonly ok: true; readonly regex: CompiledRegex } | { readonly ok: false; readonly message: string };

export function compileRegex(source: string): RegexResult {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, message: text.replace(/^error parsing regexp: /, '') };
  }
  const groupCount = re.groupCount();
  return {
    ok: true,
    regex: {
      source,
      groupCount,
      test: (value) => re.test(value),
      groups: (value) => {
        const m = re.matcher(value);
        if (!m.find()) return null;
        const out: string[] = [];
        for (let i = 1; i <= groupCount; i++) out.push(m.group(i) ?? '');
        return out;
      },
    },
  };
}

/**
 * Escapes a request value for insertion into a regex. Every ASCII punctuation character gets a
 * backslash (RE2 reads `\` + punctuation as that character), which is more than Go's QuoteMeta:
 * `-` matters inside a class, and escaping the rest costs nothing. Letters, digits, spaces and
 * non-ASCII stay as they are.
 */
export function escapeRegex(value: string): string {
  return value.replace(/[!-/:-@[-`{-~]/g, '\\$&');
}
