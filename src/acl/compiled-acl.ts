import type { Grant } from './action.grant.js';
import type { IpRule } from './ip.matcher.js';
import type { Pattern } from './pattern.compiler.js';
import type { PatternField } from './template.parser.js';

/** One `acl` entry after compilation: everything a request needs is already parsed. */
export interface CompiledRule {
  /** Position in the config list, reported in decisions and logs. */
  readonly index: number;
  readonly comment?: string;
  readonly grant: Grant;
  readonly ip: IpRule | null;
  /** Field conditions, patterns without placeholders first (they are the cheap ones). */
  readonly fields: readonly { readonly field: PatternField; readonly pattern: Pattern }[];
  readonly labels: readonly { readonly key: string; readonly pattern: Pattern }[];
  /** Regexes whose groups other conditions of this entry read through `${field:N}`. */
  readonly captureSources: Readonly<Partial<Record<PatternField, Pattern>>>;
}

export interface CompiledAcl {
  readonly rules: readonly CompiledRule[];
}
