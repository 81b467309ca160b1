/**
 * `jest.setTimeout` for the calling test file. Under native ESM there is no global `jest`, but
 * Jest puts its object on `import.meta` of every module it loads, and the timeout it sets
 * applies to the whole test file's environment.
 */
export function setTestFileTimeout(ms: number): void {
  const meta = import.meta as ImportMeta & { jest?: { setTimeout(ms: number): unknown } };
  if (!meta.jest) throw new Error('setTestFileTimeout: not running under Jest');
  meta.jest.setTimeout(ms);
}
