/**
 * A small RFC 4514 DN reader: enough to validate configured DNs at load and to take the CN of a
 * group DN (`parse_cn`) without being fooled by escaped separators (`cn=Smith\, John,ou=x`).
 */

export interface Ava {
  readonly type: string;
  readonly value: string;
}

/** A DN as its RDNs, each a list of attribute-value pairs (more than one for `a=1+b=2`). */
export type ParsedDn = readonly (readonly Ava[])[];

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
const ESCAPABLE = new Set([' ', '"', '#', '+', ',', ';', '<', '=', '>', '\\']);

/** Returns null for text that is not a DN. The empty string is the root DN (no RDNs). */
export function parseDn(dn: string): ParsedDn | null {
  if (dn.trim() === '') return [];
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let i = 0;
  while (i <= dn.length) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) return null;
    const type = dn.slice(i, eq).trim();
    if (!TYPE.test(type)) return null;
    const value = readValue(dn, eq + 1);
    if (value === null) return null;
    rdn.push({ type, value: value.text });
    i = value.end + 1;
    const separator = dn[value.end];
    if (separator !== '+') {
      rdns.push(rdn);
      rdn = [];
    }
    if (separator === undefined) break;
  }
  return rdns;
}

/** Reads one attribute value from `start`; `end` is the index of the separator (or length). */
function readValue(dn: string, start: number): { text: string; end: number } | null {
  let i = start;
  while (dn[i] === ' ') i++;
  if (dn[i] === '#') {
    // A BER-encoded value: keep its textual form; nobody names a group that way.
    let end = i + 1;
    while (end < dn.length && /[0-9A-Fa-f]/.test(dn[end])) end++;
    const text = dn.slice(i, end);
    while (dn[end] === ' ') end++;
    if (end < dn.length && !',;+'.includes(dn[end])) return null;
    return { text, end };
  }
  const bytes: number[] = [];
  let trailingSpaces = 0; // unescaped spaces at the end are not part of the value
  while (i < dn.length) {
    const c = dn[i];
    if (c === ',' || c === ';' || c === '+') break;
    if (c === '\\') {
      const pair = dn.slice(i + 1, i + 3);
      if (HEX_PAIR.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 3;
      } else if (ESCAPABLE.has(dn[i + 1] ?? '')) {
        bytes.push(dn.charCodeAt(i + 1));
        i += 2;
      } else {
        return null;
      }
      trailingSpaces = 0;
      continue;
    }
    if (c === '"' || c === '<' || c === '>' || c === '\0') return null;
    const width = dn.codePointAt(i)! > 0xffff ? 2 : 1; // a surrogate pair is one character
    bytes.push(...Buffer.from(dn.slice(i, i + width), 'utf8'));
    i += width;
    trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
  }
  const text = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces)).toString('utf8');
  return { text, end: i };
}

/**
 * docker_auth's `parse_cn`: the value of the first `cn` in a DN value, else the value itself.
 * `cn=Developers,ou=groups,dc=example,dc=org` → `Developers`.
 */
export function firstCommonName(dn: string): string {
  const parsed = parseDn(dn);
  for (const rdn of parsed ?? []) {
    for (const ava of rdn) {
      const type = ava.type.toLowerCase();
      if (type === 'cn' || type === 'commonname' || type === '2.5.4.3') return ava.value;
    }
  }
  return dn;
}
