export type KeyIssueCode =
  | 'no_keys'
  | 'file_unreadable'
  | 'not_a_private_key'
  | 'encrypted_key'
  | 'unsupported_key_type'
  | 'rsa_key_too_small'
  | 'unsupported_curve'
  | 'not_a_certificate'
  | 'certificate_key_mismatch'
  | 'x5c_needs_certificate'
  | 'duplicate_kid';

/**
 * One problem with the configured keys. `path` is the config location (`token.keys[0].key`),
 * so it has the shape of a config issue and can be reported with them. Messages name files and
 * kinds of problem, never key material.
 */
export interface KeyIssue {
  readonly path: string;
  readonly code: KeyIssueCode;
  readonly message: string;
}

/** Every problem of every key, reported together so an operator fixes them in one pass. */
export class KeyLoadError extends Error {
  constructor(readonly issues: readonly KeyIssue[]) {
    super(`invalid token keys:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'KeyLoadError';
  }
}
