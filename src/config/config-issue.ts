import type { z } from 'zod';
import type { ConfigIssue } from '../acl/acl.types.js';

export type { ConfigIssue };

/** Every problem of a config, reported together so an operator fixes them in one pass. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`invalid config ${source}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** `['authn', 2, 'bind_dn']` → `authn[2].bind_dn`, the form every message uses. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(part))) out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/** Zod's messages are written for programmers; these are written for operators. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown key' });
        break;
      case 'invalid_type':
        out.push({
          path: formatPath(path),
          message:
            (issue as { input?: unknown }).input === undefined && issue.message.includes('received undefined') ? 'required' : `expected ${issue.expected}`,
        });
        break;
      case 'invalid_union':
        if ('discriminator' in issue) {
          const options = (issue as unknown as { options?: unknown[] }).options ?? [];
          out.push({
            path: formatPath(path),
            message: `unknown value (known: ${options.map(String).join(', ')})`,
          });
        } else {
          out.push({ path: formatPath(path), message: issue.message });
        }
        break;
      case 'invalid_value':
        out.push({
          path: formatPath(path),
          // The value itself is not echoed: it may have come from a ${env:…} or ${file:…} secret.
          message: `unknown value (known: ${issue.values.map(String).join(', ')})`,
        });
        break;
      default:
        out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}
