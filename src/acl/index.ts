export { compileAcl, type AclCompilation, type AclOptions } from './acl.compiler.js';
export { authorize } from './acl.authorizer.js';
export type { CompiledAcl, CompiledRule } from './compiled-acl.js';
export { isRegexPattern, MAX_LABEL_COMBINATIONS } from './pattern.compiler.js';
export * from './acl.types.js';
export { PATTERN_FIELDS, type PatternField } from './template.parser.js';
