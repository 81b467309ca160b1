/** What a promise came to, and when: for tests that assert on failures and timing. */

/** What a promise rejected with, or undefined when it resolved: for asserting on the error itself. */
export const rejection = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

/** How `work` settled and how long that took. */
export async function timed<T>(work: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [result] = await Promise.allSettled([work]);
  return { ms: performance.now() - started, result: result };
}

/** The error of a promise that must have failed; throws, naming the value, when it resolved. */
export function reason(settled: PromiseSettledResult<unknown>): { code?: string; message?: string } {
  if (settled.status === 'fulfilled') throw new Error(`expected a failure, got ${JSON.stringify(settled.value)}`);
  return settled.reason as { code?: string; message?: string };
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `condition` holds or `timeoutMs` has passed; the caller asserts afterwards. */
export async function eventually(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
