import type { Entry } from 'ldapts';
import { toLabels, type Labels } from '../../common/labels.js';
import { firstCommonName } from './ldap-dn.js';

export interface ValueRule {
  readonly parseCn: boolean;
  readonly lowerCase: boolean;
}

/**
 * The string values of one attribute. Attribute names are case-insensitive in LDAP and servers
 * answer in their own spelling (`memberof` for `memberOf`), so the lookup ignores case.
 */
export function attributeValues(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  for (const key of Object.keys(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const raw = entry[key];
    return (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
  }
  return [];
}

/** docker_auth's order: `parse_cn` first, then `lower_case`. */
export function labelValues(values: readonly string[], rule: ValueRule): string[] {
  return values.map((v) => {
    const cn = rule.parseCn ? firstCommonName(v) : v;
    return rule.lowerCase ? cn.toLowerCase() : cn;
  });
}

/**
 * Labels of one user: configured attributes of the entry, plus any values found elsewhere
 * (the group search), merged per label. As in docker_auth, an attribute the entry does not
 * have gives no label at all rather than an empty one. Everything goes through `toLabels`: the
 * directory is outside input.
 */
export function buildLabels(
  entry: Entry,
  rules: readonly (ValueRule & { readonly label: string; readonly attribute: string })[],
  extra: Readonly<Record<string, readonly string[]>> = {},
): Labels {
  const merged: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const add = (label: string, values: readonly string[]): void => {
    merged[label] = [...(merged[label] ?? []), ...values];
  };
  for (const rule of rules) {
    const values = attributeValues(entry, rule.attribute);
    if (values.length > 0) add(rule.label, labelValues(values, rule));
  }
  for (const [label, values] of Object.entries(extra)) if (values.length > 0) add(label, values);
  return toLabels(merged);
}
