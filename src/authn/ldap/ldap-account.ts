import type { Entry } from 'ldapts';
import { LdapError } from './ldap-error.js';
import { attributeValues } from './ldap-labels.js';

/** Security rule 3, which typed user names pass before any provider runs; `sub` must too. */
const MAX_ACCOUNT_BYTES = 256;
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * The account name `account_attribute` gives an entry: it becomes the token's `sub` and what
 * ACL rules match, so it must be one value the directory cannot change the order of, and a
 * name a client could have typed. Anything else fails closed (503) with the reason in the log.
 */
export function canonicalAccount(entry: Entry, attribute: string): string {
  const values = attributeValues(entry, attribute).filter((v) => v !== '');
  if (values.length === 0) {
    throw new LdapError('account_attribute_missing', `entry ${entry.dn} has no ${attribute} (account_attribute)`);
  }
  // Servers return values in no promised order: taking the first would let the account change between logins.
  if (values.length > 1) {
    throw new LdapError(
      'account_attribute_invalid',
      `entry ${entry.dn} has ${values.length} values of ${attribute}; account_attribute needs a single-valued attribute`,
    );
  }
  const value = values[0];
  if (CONTROL_CHARACTER.test(value) || Buffer.byteLength(value, 'utf8') > MAX_ACCOUNT_BYTES) {
    throw new LdapError(
      'account_attribute_invalid',
      `entry ${entry.dn}: ${attribute} holds control characters or more than ${MAX_ACCOUNT_BYTES} bytes, which no account name may`,
    );
  }
  return value;
}
