/**
 * Placeholders in ACL patterns, parsed once at load:
 *
 *   `${account}` `${type}` `${name}` `${service}`   the request's value, escaped
 *   `${account:N}` (also type/name/service)        capture group N (≥ 1) of the same entry's
 *                                                  regex for that field, escaped
 *   `${labels:key}`                                each of the user's values for `key`, escaped
 *                                                  (inserted raw in docker_auth files)
 *   `${labels_pattern:key}`                        each value inserted as pattern text: the
 *                                                  label is trusted to hold a pattern (opt-in)
 *
 * docker_auth inserts captures unescaped. A capture is a piece of the request (the account, or
 * the repository name the client chose), so unescaped it could widen a rule: with
 * `account: /^(.+)@corp$/` and `name: ${account:1}/*`, the account `*@corp` would reach every
 * repository. Escaping changes nothing for captures without pattern characters.
 *
 * Anything else written as `${…}` is an error: docker_auth would leave a misspelt `${acount}` in
 * place and the entry would silently never match, which is how deny rules go missing.
 * A placeholder right after an odd number of backslashes is an error too: the backslash would
 * escape the first character of the substituted value and let the value change the pattern.
 */
export const PATTERN_FIELDS = ['account', 'type', 'name', 'service'] as const;
export type PatternField = (typeof PATTERN_FIELDS)[number];

export type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly field: PatternField }
  | { readonly kind: 'capture'; readonly field: PatternField; readonly group: number; readonly token: string }
  | { readonly kind: 'label'; readonly key: string; readonly asPattern: boolean };

export interface Template {
  readonly segments: readonly Segment[];
  /** True when at least one placeholder is present. */
  readonly dynamic: boolean;
  /** Distinct label keys, in order of first use. */
  readonly labelKeys: readonly string[];
  readonly captures: readonly Extract<Segment, { kind: 'capture' }>[];
}

export type TemplateResult = { readonly ok: true; readonly template: Template } | { readonly ok: false; readonly messages: string[] };

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const FIELD_SET: ReadonlySet<string> = new Set(PATTERN_FIELDS);

export function parseTemplate(raw: string): TemplateResult {
  const segments: Segment[] = [];
  const messages: string[] = [];
  let last = 0;
  for (const m of raw.matchAll(PLACEHOLDER)) {
    const at = m.index;
    if (at > last) segments.push({ kind: 'text', text: raw.slice(last, at) });
    last = at + m[0].length;
    if (backslashesBefore(raw, at) % 2 === 1) {
      messages.push(`placeholder ${m[0]} must not follow a backslash`);
      continue;
    }
    const segment = toSegment(m[1], m[0]);
    if (typeof segment === 'string') messages.push(segment);
    else segments.push(segment);
  }
  if (last < raw.length) segments.push({ kind: 'text', text: raw.slice(last) });
  if (messages.length > 0) return { ok: false, messages };
  const labelKeys = [...new Set(segments.flatMap((s) => (s.kind === 'label' ? [s.key] : [])))];
  const captures = segments.filter((s): s is Extract<Segment, { kind: 'capture' }> => s.kind === 'capture');
  return { ok: true, template: { segments, dynamic: segments.some((s) => s.kind !== 'text'), labelKeys, captures } };
}

function toSegment(body: string, token: string): Segment | string {
  if (FIELD_SET.has(body)) return { kind: 'field', field: body as PatternField };
  const colon = body.indexOf(':');
  if (colon > 0) {
    const head = body.slice(0, colon);
    const tail = body.slice(colon + 1);
    if (head === 'labels' || head === 'labels_pattern') {
      return tail.length > 0 ? { kind: 'label', key: tail, asPattern: head === 'labels_pattern' } : `placeholder ${token} needs a label name`;
    }
    if (FIELD_SET.has(head) && /^\d+$/.test(tail)) {
      const group = Number(tail);
      if (group < 1) return `placeholder ${token}: capture groups are numbered from 1`;
      return { kind: 'capture', field: head as PatternField, group, token };
    }
  }
  return `unknown placeholder ${token} (known: \${account}, \${type}, \${name}, \${service}, \${<field>:N}, \${labels:<name>}, \${labels_pattern:<name>})`;
}

function backslashesBefore(raw: string, at: number): number {
  let n = 0;
  while (at - n - 1 >= 0 && raw[at - n - 1] === '\\') n++;
  return n;
}

/** Text of the template with every placeholder replaced by `stand`, to check syntax at load. */
export function withStandIns(template: Template, stand: string): string {
  return template.segments.map((s) => (s.kind === 'text' ? s.text : stand)).join('');
}
