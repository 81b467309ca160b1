/**
 * Labels a provider attaches to an identity (`group: [CICD]`). They come from scripts, LDAP
 * attributes and HTTP callbacks, i.e. from outside: build them only through `toLabels`, which
 * drops prototype-polluting keys, non-string values and caps sizes.
 */
export type Labels = Readonly<Record<string, readonly string[]>>;

export const LABEL_LIMITS = Object.freeze({ keys: 64, valuesPerKey: 256, keyBytes: 128, valueBytes: 1024 });

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const EMPTY_LABELS: Labels = Object.freeze(Object.create(null) as Record<string, readonly string[]>);

/**
 * Normalises untrusted label input: a null-prototype object of string arrays. A single string
 * value becomes a one-element list (docker_auth scripts print both forms). Anything that is not
 * a string is dropped rather than coerced, and caps truncate rather than fail, so a noisy backend
 * cannot take the server down.
 */
export function toLabels(input: unknown): Labels {
  const out = Object.create(null) as Record<string, string[]>;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return Object.freeze(out);
  let keys = 0;
  for (const [key, raw] of Object.entries(input as Record<string, unknown>)) {
    if (keys >= LABEL_LIMITS.keys) break;
    if (FORBIDDEN_KEYS.has(key) || key.length === 0 || Buffer.byteLength(key) > LABEL_LIMITS.keyBytes) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    const values = [...new Set(list.filter((v): v is string => typeof v === 'string' && Buffer.byteLength(v) <= LABEL_LIMITS.valueBytes))].slice(
      0,
      LABEL_LIMITS.valuesPerKey,
    );
    out[key] = Object.freeze(values) as string[];
    keys++;
  }
  return Object.freeze(out);
}

/** Merges label sets (later values appended, duplicates dropped); used by `explain --label`. */
export function mergeLabels(...sets: Labels[]): Labels {
  const merged = Object.create(null) as Record<string, string[]>;
  for (const set of sets) for (const [k, v] of Object.entries(set)) merged[k] = [...(merged[k] ?? []), ...v];
  return toLabels(merged);
}
