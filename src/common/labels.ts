/**
 * Labels a provider attaches to an identity (`group: [CICD]`). They come from scripts, LDAP
 * attributes and HTTP callbacks, i.e. from outside: build them only through `toLabels`, which
 * drops prototype-polluting keys and refuses wrong types and oversized sets.
 */
export type Labels = Readonly<Record<string, readonly string[]>>;

/**
 * Per identity. Generous enough for a directory user in a thousand groups; past a limit the
 * labels are refused as a whole, never cut: a cut list can lose the one value a deny rule looks
 * for (docs/security.md rule 14).
 */
export const LABEL_LIMITS = Object.freeze({ keys: 64, valuesPerKey: 1024, keyBytes: 128, valueBytes: 1024, totalBytes: 256 * 1024 });

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const EMPTY_LABELS: Labels = Object.freeze(Object.create(null) as Record<string, readonly string[]>);

/** Labels over a limit or of the wrong type: the backend's answer is unusable, the request fails closed (503). */
export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelError';
  }
}

/**
 * Normalises untrusted label input into a null-prototype object of string arrays. A single string
 * value becomes a one-element list (docker_auth scripts print both forms); duplicates collapse.
 * Keys that could pollute a prototype, and the empty key, are dropped (no rule can name them).
 * Anything else that does not fit (a non-string value, a limit exceeded) throws LabelError: an
 * ACL deny rule must never be skipped because its label was silently dropped.
 */
export function toLabels(input: unknown): Labels {
  const out = Object.create(null) as Record<string, string[]>;
  if (input === null || input === undefined) return Object.freeze(out);
  if (typeof input !== 'object' || Array.isArray(input)) throw new LabelError('labels must be a map of name to list of strings');
  const entries = Object.entries(input as Record<string, unknown>).filter(([key]) => !FORBIDDEN_KEYS.has(key) && key.length > 0);
  if (entries.length > LABEL_LIMITS.keys) throw new LabelError(`${entries.length} label names, more than the ${LABEL_LIMITS.keys} accepted`);
  let total = 0;
  for (const [key, raw] of entries) {
    const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes > LABEL_LIMITS.keyBytes) throw new LabelError(`label name ${shown} is ${keyBytes} bytes, more than the ${LABEL_LIMITS.keyBytes} accepted`);
    const list = Array.isArray(raw) ? raw : [raw];
    if (!list.every((v): v is string => typeof v === 'string')) throw new LabelError(`label ${shown} has a value that is not a string`);
    const values = [...new Set(list)];
    if (values.length > LABEL_LIMITS.valuesPerKey) {
      throw new LabelError(`label ${shown} has ${values.length} values, more than the ${LABEL_LIMITS.valuesPerKey} accepted`);
    }
    for (const value of values) {
      const bytes = Buffer.byteLength(value);
      if (bytes > LABEL_LIMITS.valueBytes) throw new LabelError(`label ${shown} has a ${bytes}-byte value, more than the ${LABEL_LIMITS.valueBytes} accepted`);
      total += bytes;
    }
    total += keyBytes;
    if (total > LABEL_LIMITS.totalBytes) throw new LabelError(`labels exceed ${LABEL_LIMITS.totalBytes} bytes in all`);
    out[key] = Object.freeze(values) as string[];
  }
  return Object.freeze(out);
}

/** Merges label sets (later values appended, duplicates dropped); used by `explain --label`. */
export function mergeLabels(...sets: Labels[]): Labels {
  const merged = Object.create(null) as Record<string, string[]>;
  for (const set of sets) for (const [k, v] of Object.entries(set)) merged[k] = [...(merged[k] ?? []), ...v];
  return toLabels(merged);
}
