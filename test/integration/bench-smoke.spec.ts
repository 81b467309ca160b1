import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinaries } from '../support/require-binary.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * `npm run bench` must not rot: its harness runs for one second on one workload here (the real
 * figures come from `npm run bench`, never from a test; nothing below is a timing assertion).
 */

setTestFileTimeout(120_000);
const { describeIf } = requireBinaries(['wrk']);

interface Figure {
  workload: string;
  alg?: string;
  rps?: number;
  non2xx?: number;
  requests?: number;
  peakRssMiB?: number;
}

describeIf('bench harness', () => {
  it('runs the smoke benchmark against the production build and writes its results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'regauth-bench-smoke-'));
    try {
      const code = await new Promise<number>((resolve) =>
        execFile(process.execPath, ['bench/bench.mjs', '--smoke', '--out', out], { timeout: 100_000 }, (err) => resolve(err ? 1 : 0)),
      );
      expect(code).toBe(0);
      const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
        baselines: { B1: { requests: number }; B2: Record<string, number>; B3: { cost5: number } };
        figures: Figure[];
      };
      expect(results.baselines.B1.requests).toBeGreaterThan(0);
      expect(results.baselines.B2.ES256).toBeGreaterThan(0);
      expect(results.baselines.B3.cost5).toBeGreaterThan(0);
      const w1 = results.figures.find((f) => f.workload === 'W1');
      expect(w1).toMatchObject({ alg: 'ES256', non2xx: 0 });
      expect(w1!.requests).toBeGreaterThan(0);
      expect(w1!.peakRssMiB).toBeGreaterThan(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
