// BENCHMARKS.md from one run's results (and the previous run's, for what changed).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const fmt = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toFixed(digits));
/** The figure of a workload and key; with several worker counts, the one the run was set to. */
const find = (figures, workload, alg, workers) =>
  figures.find((f) => f.workload === workload && f.alg === alg && !f.pending && (workers === undefined || f.workers === undefined || f.workers === workers));

/** Each target of the performance issue, checked against this run; null when not measured yet. */
export function targets(results) {
  const { baselines, machine, settings } = results;
  const figures = results.figures.filter((f) => f.workers === undefined || f.workers === settings.workers);
  const b1 = baselines.B1.rps;
  const rows = [];
  const check = (name, value, goal, met) => rows.push({ name, value, goal, met });
  const w1 = find(figures, 'W1', 'ES256');
  check(
    'W1 ES256 ≥ 0.45 × B1, p99 ≤ 5 ms',
    w1 ? `${fmt(w1.rps / b1, 3)} × B1, p99 ${fmt(w1.p99, 2)} ms` : null,
    '0.45',
    w1 ? w1.rps / b1 >= 0.45 && w1.p99 <= 5 : null,
  );
  for (const id of ['W2', 'W6', 'W10']) {
    const f = find(figures, id, 'ES256');
    check(
      `${id} ES256 ≥ 0.35 × B1, p99 ≤ 5 ms`,
      f ? `${fmt(f.rps / b1, 3)} × B1, p99 ${fmt(f.p99, 2)} ms` : null,
      '0.35',
      f ? f.rps / b1 >= 0.35 && f.p99 <= 5 : null,
    );
  }
  const rs = find(figures, 'W1', 'RS256');
  const b2 = baselines.B2?.RS256;
  check(
    'W1 RS256 ≥ 0.8 × cores × B2(RS256)',
    rs && b2 ? `${fmt(rs.rps / (machine.cpus * b2), 3)} × cores × B2` : null,
    '0.8',
    rs && b2 ? rs.rps >= 0.8 * machine.cpus * b2 : null,
  );
  for (const [id, cost] of [
    ['W3', 'cost10'],
    ['W4', 'cost5'],
    ['W5', 'cost5'],
  ]) {
    const f = find(figures, id, 'ES256');
    const b3 = baselines.B3?.[cost];
    check(
      `${id} ES256 ≥ 0.9 × cores × B3(${cost})`,
      f && b3 ? `${fmt(f.rps / (machine.cpus * b3), 3)} × cores × B3` : null,
      '0.9',
      f && b3 ? f.rps >= 0.9 * machine.cpus * b3 : null,
    );
  }
  const mixed = find(figures, 'W1+W3', 'ES256');
  check(
    'W1 p99 ≤ 10 ms while W3 saturates bcrypt',
    mixed ? `p99 ${fmt(mixed.p99, 2)} ms (W3 alongside: ${fmt(mixed.alongside?.rps)} req/s)` : null,
    '10 ms',
    mixed ? mixed.p99 <= 10 : null,
  );
  const peak = Math.max(...figures.filter((f) => !f.pending).map((f) => f.largestWorkerMiB ?? f.peakRssMiB));
  check('peak RSS ≤ 120 MB per worker', `largest worker ${fmt(peak * 1.048576)} MB`, '120 MB', peak * 1.048576 <= 120);
  return rows;
}

/**
 * BENCHMARKS.md: this run's tables, then `analysis` (bench/analysis.md, written by hand: what
 * each change did and what the profiles show is left), which a new run must not overwrite.
 */
export function writeReport(file, results, previous, analysis) {
  const { machine, settings, baselines, figures } = results;
  const b1 = baselines.B1.rps;
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/bench.mjs); the raw figures are in `bench/results/latest.json`.',
    'Every ratio compares figures measured in the same run on the same machine.',
    '',
    `Machine: ${machine.cpus} × ${machine.model}, Node ${machine.node}, ${machine.date}. Load: ${baselines.tool}, ${settings.connections} connections, keep-alive,`,
    `${settings.seconds} s per run, ${settings.runs} runs per figure (median shown), one fresh server per figure (server.workers ${settings.workers ?? 1} unless the table says otherwise), logging at info to /dev/null.`,
    '',
    '## Baselines',
    '',
    `- B1 bare Fastify, fixed 800-byte JSON: **${fmt(b1)} req/s**, p50 ${fmt(baselines.B1.p50, 2)} ms, p99 ${fmt(baselines.B1.p99, 2)} ms, ${fmt(baselines.B1.cpuPerRequestMs, 3)} CPU ms/req`,
    `- B2 JWT signatures per core: ${Object.entries(baselines.B2)
      .map(([alg, v]) => `${alg} ${fmt(v)}/s`)
      .join(', ')}`,
    `- B3 bcrypt compares per core: cost 5 ${fmt(baselines.B3.cost5)}/s, cost 10 ${fmt(baselines.B3.cost10, 1)}/s`,
    '',
    '## Workloads',
    '',
    '| workload | key | workers | req/s | × B1 | p50 ms | p99 ms | CPU ms/req | peak RSS MiB: all / largest worker / primary | runs (req/s) | non-2xx | other CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const f of figures) {
    if (f.pending) {
      lines.push(`| ${f.workload} ${f.title} | | | not measured yet: needs ${f.pending} | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${f.workload} ${f.title} | ${f.alg} | ${f.workers ?? 1} | ${fmt(f.rps)} | ${fmt(f.rps / b1, 3)} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} | ${fmt(f.cpuPerRequestMs, 3)} | ${fmt(f.peakRssMiB)} / ${fmt(f.largestWorkerMiB)} / ${fmt(f.primaryMiB)} | ${f.runs.join(' / ')} | ${f.non2xx} | ${fmt(f.otherCpuShare * 100)}% |`,
    );
  }
  lines.push(
    '',
    '"non-2xx" counts answers other than 2xx (W5 expects 401 for all). "other CPU" is the CPU the machine spent outside the server during the median run, wrk included, as a share of one core: wrk alone takes roughly 10–20%, so much more means the figure was disturbed and should be rerun.',
    '',
  );
  lines.push('## Targets', '', '| target | this run | met |', '|---|---|---|');
  for (const t of targets(results)) lines.push(`| ${t.name} | ${t.value ?? 'not measured yet'} | ${t.met === null ? '–' : t.met ? 'yes' : 'no'} |`);
  lines.push('');
  if (previous && !previous.settings?.smoke) {
    lines.push('## Since the previous run', '', '| workload | key | workers then → now | req/s then | req/s now | change |', '|---|---|---|---|---|---|');
    for (const f of figures.filter((x) => !x.pending)) {
      const before = find(previous.figures ?? [], f.workload, f.alg, f.workers);
      if (before)
        lines.push(
          `| ${f.workload} | ${f.alg} | ${before.workers ?? 1} → ${f.workers ?? 1} | ${fmt(before.rps)} | ${fmt(f.rps)} | ${fmt(((f.rps - before.rps) / before.rps) * 100, 1)}% |`,
        );
    }
    lines.push('');
  }
  if (analysis && existsSync(analysis)) lines.push(readFileSync(analysis, 'utf8').trimEnd(), '');
  writeFileSync(file, `${lines.join('\n')}\n`);
}
