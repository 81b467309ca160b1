import type { JWTPayload } from 'jose';
import { compileGlob } from '../../acl/glob.matcher.js';
import { compileRegex } from '../../acl/regex.matcher.js';
import type { ClaimPath } from './oidc-presets.js';

/**
 * Claims as text, the only thing labels, conditions and accounts deal in: strings as they are,
 * numbers and booleans as JSON writes them ("true", "42"), arrays element by element; null,
 * objects and missing claims give nothing.
 */
export function claimValues(claims: JWTPayload, path: ClaimPath): string[] {
  let value: unknown = claims;
  for (const step of [path].flat())
    value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[step] : undefined;
  return (Array.isArray(value) ? value : [value]).flatMap((v) =>
    typeof v === 'string' ? [v] : typeof v === 'number' || typeof v === 'boolean' ? [String(v)] : [],
  );
}

export interface ClaimCondition {
  readonly claim: string;
  test(claims: JWTPayload): boolean;
}

/**
 * `claim: value` or `claim: [values]`: the claim (any element of an array claim) must match one
 * of them, each an exact value, a glob (`*`, `**`, `?`, `[…]`) or a `/regex/`, as in the ACL.
 * Throws at load for a pattern that does not compile.
 */
export function compileConditions(conditions: Readonly<Record<string, readonly string[]>>): ClaimCondition[] {
  return Object.entries(conditions).map(([claim, patterns]) => {
    const tests = patterns.map((pattern) => {
      if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
        const r = compileRegex(`^(?:${pattern.slice(1, -1)})$`);
        if (!r.ok) throw new Error(`conditions.${claim}: ${pattern}: ${r.message}`);
        return (v: string) => r.regex.test(v);
      }
      const g = compileGlob(pattern);
      if (!g.ok) throw new Error(`conditions.${claim}: ${pattern}: ${g.message}`);
      return (v: string) => g.glob.test(v);
    });
    return { claim, test: (claims) => claimValues(claims, claim).some((v) => tests.some((t) => t(v))) };
  });
}

/** `${claim}` placeholders filled from string (or number) claims; null when one is missing or empty. */
export function accountFromTemplate(template: string, claims: JWTPayload): string | null {
  let missing = false;
  const account = template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const [value] = claimValues(claims, name);
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing || account === '' ? null : account;
}

export function labelsFromClaims(claims: JWTPayload, mapping: Readonly<Record<string, ClaimPath>>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(mapping)
      .map(([label, path]) => [label, claimValues(claims, path)] as const)
      .filter(([, values]) => values.length > 0),
  );
}
