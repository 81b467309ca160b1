import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigIssue } from './config-issue.js';
import { formatPath } from './config-issue.js';
import { looseSecretFileWarning } from '../common/file-mode.js';

const REF = /\$\{(env|file):([^}]+)\}/g;

/**
 * Replaces `${env:NAME}` and `${file:PATH}` in every string of the config, so secrets (bind
 * passwords, callback tokens) stay out of the YAML. `acl` is left alone: its `${account}`-style
 * placeholders are matched per request and must not be touched here. File contents lose one
 * trailing newline, which editors and `echo` add.
 */
export function resolveSecretRefs(
  raw: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): {
  value: unknown;
  issues: ConfigIssue[];
  /** Secret files that group or others may read. */
  warnings: string[];
  /** The files referenced, as absolute paths. */
  files: string[];
} {
  const issues: ConfigIssue[] = [];
  const warnings = new Set<string>();
  const files = new Set<string>();
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') return node.includes('${') ? substitute(node, path) : node;
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = path.length === 0 && k === 'acl' ? v : walk(v, [...path, k]);
      return out;
    }
    return node;
  };
  const substitute = (text: string, path: PropertyKey[]): string =>
    text.replace(REF, (_all, kind: string, ref: string) => {
      if (kind === 'env') {
        const value = env[ref];
        if (value === undefined) issues.push({ path: formatPath(path), message: `environment variable ${ref} is not set` });
        return value ?? '';
      }
      try {
        files.add(resolve(baseDir, ref));
        const text = readFileSync(resolve(baseDir, ref), 'utf8').replace(/\r?\n$/, '');
        const loose = looseSecretFileWarning(resolve(baseDir, ref), `\${file:${ref}} in ${formatPath(path)}`);
        if (loose) warnings.add(loose);
        return text;
      } catch (err) {
        issues.push({ path: formatPath(path), message: `cannot read ${ref}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
        return '';
      }
    });
  const value = walk(raw, []);
  return { value, issues, warnings: [...warnings], files: [...files] };
}
