import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_LIMITS } from '../../src/common/labels.js';
import { script } from '../support/scripts/leftover-processes.js';
import { basic, claimsOf, serveWithLogs, type LoggedServer } from '../support/token-server.fixture.js';

/**
 * A backend that returns more label values than labels may hold is refused, never cut: a cut list
 * loses the value a deny rule looks for (docs/security.md rule 14). Over real HTTP, with a real
 * script printing the groups.
 */

describe('label limits', () => {
  let dir: string;
  let h: LoggedServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-label-limits-'));
    const file = join(dir, 'config.yml');
    writeFileSync(
      file,
      `token: { issuer: limits, generate_missing: true, keys: [{ key: k.pem }] }
services: [registry]
authn:
  - { name: few, type: command, command: "${script('many-groups.sh')}", args: ["10"], max_output: 1048576 }
acl:
  - { match: { labels: { group: zz-blocked } }, actions: [], comment: blocked users get nothing }
  - { match: {}, actions: [pull, push] }
`,
    );
    h = await serveWithLogs(file);
  });
  afterAll(async () => {
    await h?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const reconfigure = async (groups: number): Promise<void> => {
    const file = join(dir, 'config.yml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/args: \["\d+"\]/, `args: ["${groups}"]`));
    await h.server.reload();
  };
  const push = (): Promise<Response> => h.get('service=registry&scope=repository:app:push', basic('mallory', 'any-password'));

  it('sees the deny label of a user in many groups, up to the limit', async () => {
    await reconfigure(LABEL_LIMITS.valuesPerKey - 1);
    const res = await push();
    expect(res.status).toBe(200);
    expect(claimsOf<{ access: unknown[] }>(((await res.json()) as { token: string }).token).access).toEqual([]);
  });

  it('answers 503 instead of granting when the groups exceed the limit (the deny label would have been cut)', async () => {
    await reconfigure(10_000);
    const res = await push();
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('zz-blocked');
    expect(h.logs.some((l) => l.includes(`label \\"group\\" has 10001 values, more than the ${LABEL_LIMITS.valuesPerKey} accepted`))).toBe(true);
  });
});
