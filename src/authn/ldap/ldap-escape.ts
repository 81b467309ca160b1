/**
 * What a user types must never change the structure of a filter or a DN. Two contexts, two
 * escapings: a filter value (RFC 4515) and a DN attribute value (RFC 4514). docker_auth uses
 * filter escaping for its bind DN, which leaves `,` and `+` free to add RDNs; we do not.
 */

const FILTER_SPECIALS = /[\\*()\0]/g;

/**
 * RFC 4515 §3: `*`, `(`, `)`, `\` and NUL become `\XX`. Other characters, UTF-8 included, stay
 * as they are: a filter value is UTF-8 and ldapts decodes each `\XX` as one character, so
 * hex-escaping the bytes of a multi-byte character would change its meaning.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(FILTER_SPECIALS, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const DN_SPECIALS = /[\\"+,;<>=\0]/g;

/**
 * RFC 4514 §2.4: `"`, `+`, `,`, `;`, `<`, `>`, `\` (and `=`, allowed as an escape) get a
 * backslash, NUL becomes `\00`, a leading space or `#` and a trailing space are escaped.
 */
export function escapeDnValue(value: string): string {
  let out = value.replace(DN_SPECIALS, (c) => (c === '\0' ? '\\00' : `\\${c}`));
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !isEscapedAt(out, out.length - 1)) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** True when the character at `index` is preceded by an odd number of backslashes. */
function isEscapedAt(text: string, index: number): boolean {
  let slashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1;
}

/**
 * A template with placeholders (`(uid=${account})`), split once at load so each request only
 * joins strings. Values are escaped by the caller's chosen escaping.
 */
export interface Template {
  readonly placeholders: readonly string[];
  render(values: Readonly<Record<string, string>>, escape: (value: string) => string): string;
}

const PLACEHOLDER = /\$\{([A-Za-z_][\w-]*)\}/g;

export function compileTemplate(text: string): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    names.push(m[1]);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return {
    placeholders: [...new Set(names)],
    render(values, escape) {
      let out = parts[0];
      for (let i = 0; i < names.length; i++) {
        const value = values[names[i]];
        if (value === undefined) throw new Error(`no value for \${${names[i]}}`);
        out += escape(value) + parts[i + 1];
      }
      return out;
    },
  };
}
