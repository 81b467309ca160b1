import { compileRegex } from './regex.matcher.js';

/**
 * Globs with Go `path.Match` semantics (what docker_auth uses), plus one extension of ours:
 *
 *   `*`      any run of characters except `/`        `**`  any run, `/` included (ours)
 *   `?`      one character except `/`                `\c`  the character c
 *   `[…]`    one character from a class: `[abc]`, ranges `[a-z]`, negation `[^…]`, escapes
 *            `[\]]`; a class may match `/`, as in Go. `!` does not negate.
 *
 * The whole value must match. Malformed patterns are the same ones Go rejects: a trailing `\`,
 * an unclosed or empty class, a class range missing an end (`[a-]`, `[-a]`).
 *
 * A glob is translated once into an anchored RE2 program (linear matching). One deliberate
 * difference from Go: Go commits to the leftmost match of each fixed-length chunk after a `*`,
 * we accept any way of matching. The two can only disagree when a class that matches `/`
 * follows a `*` (Go: `*a[^z]*b` does not match `aa/b`, we do); Go's own documentation
 * describes our behaviour.
 */
export interface CompiledGlob {
  readonly source: string;
  test(value: string): boolean;
}

export type GlobResult = { readonly ok: true; readonly glob: CompiledGlob } | { readonly ok: false; readonly message: string };

const MAX_CODE_POINT = 0x10ffff;

export function compileGlob(source: string, options: { globstar: boolean } = { globstar: true }): GlobResult {
  const parsed = translate(source, options.globstar);
  if (typeof parsed === 'string') return { ok: false, message: parsed };
  if (parsed.literal !== null) {
    const literal = parsed.literal;
    return { ok: true, glob: { source, test: (value) => value === literal } };
  }
  const compiled = compileRegex(`^${parsed.regex}$`);
  if (!compiled.ok) return { ok: false, message: compiled.message };
  const regex = compiled.regex;
  return { ok: true, glob: { source, test: (value) => regex.test(value) } };
}

/** Escapes a value so that it matches only itself inside a glob (in or out of a class). */
export function escapeGlob(value: string): string {
  return value.replace(/[\\*?[\]\-^]/g, '\\$&');
}

/** Returns the RE2 source (and the plain text when there are no wildcards), or an error message. */
function translate(source: string, globstar: boolean): { regex: string; literal: string | null } | string {
  const cps = Array.from(source);
  let regex = '';
  let literal = '';
  let onlyLiterals = true;
  let i = 0;
  while (i < cps.length) {
    const c = cps[i];
    if (c === '*') {
      let stars = 0;
      while (cps[i] === '*') {
        stars++;
        i++;
      }
      regex += stars >= 2 && globstar ? '(?s:.*)' : '[^/]*';
      onlyLiterals = false;
    } else if (c === '?') {
      regex += '[^/]';
      onlyLiterals = false;
      i++;
    } else if (c === '[') {
      const cls = parseClass(cps, i + 1);
      if (typeof cls === 'string') return cls;
      regex += cls.regex;
      onlyLiterals = false;
      i = cls.next;
    } else {
      let ch = c;
      if (c === '\\') {
        if (i + 1 >= cps.length) return 'trailing backslash';
        ch = cps[++i]!;
      }
      regex += literalRegex(ch);
      literal += ch;
      i++;
    }
  }
  return { regex, literal: onlyLiterals ? literal : null };
}

/** Parses a class whose `[` is just before `start`, following Go's `matchChunk`/`getEsc`. */
function parseClass(cps: string[], start: number): { regex: string; next: number } | string {
  let i = start;
  const negated = cps[i] === '^';
  if (negated) i++;
  const ranges: string[] = [];
  let count = 0;
  for (;;) {
    if (cps[i] === ']' && count > 0) {
      i++;
      break;
    }
    const lo = classChar(cps, i);
    if (typeof lo === 'string') return lo;
    i = lo.next;
    let hi = lo;
    if (cps[i] === '-') {
      const end = classChar(cps, i + 1);
      if (typeof end === 'string') return end;
      hi = end;
      i = end.next;
    }
    // Go accepts a reversed range and simply never matches it; RE2 would reject it.
    if (lo.cp <= hi.cp) ranges.push(lo.cp === hi.cp ? hex(lo.cp) : `${hex(lo.cp)}-${hex(hi.cp)}`);
    count++;
  }
  if (ranges.length === 0) return { regex: negated ? '(?s:.)' : `[^${hex(0)}-${hex(MAX_CODE_POINT)}]`, next: i };
  return { regex: `[${negated ? '^' : ''}${ranges.join('')}]`, next: i };
}

function classChar(cps: string[], at: number): { cp: number; next: number } | string {
  let i = at;
  const c = cps[i];
  if (c === undefined) return 'unclosed character class';
  if (c === '-' || c === ']') return `unexpected "${c}" in character class`;
  if (c === '\\') {
    i++;
    if (cps[i] === undefined) return 'unclosed character class';
  }
  const cp = cps[i].codePointAt(0)!;
  // Go needs something after every class character: at least the closing `]`.
  if (i + 1 >= cps.length) return 'unclosed character class';
  return { cp, next: i + 1 };
}

function hex(cp: number): string {
  return `\\x{${cp.toString(16)}}`;
}

function literalRegex(ch: string): string {
  return /^[A-Za-z0-9]$/.test(ch) ? ch : hex(ch.codePointAt(0)!);
}
