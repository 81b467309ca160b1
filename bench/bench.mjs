// `npm run bench`: regauth's production build on loopback under wrk, next to baselines measured
// in the same run (B1 bare Fastify, B2 JWT signing per core, B3 bcrypt per core). Writes
// bench/results/latest.json and BENCHMARKS.md. Options:
//   --smoke            1 s, one run, W1 with ES256 only: checks that the harness works (npm test)
//   --only W1,W3       these workloads      --seconds N   per run (10)      --runs N   per figure (3)
//   --workers N        server.workers (default: one per CPU, as the server's own default)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { drive, loadTool } from './lib/load.mjs';
import { comparesPerSecond, signsPerSecond } from './lib/micro.mjs';
import { cpuMs, machineCpuMs, peakRss } from './lib/process-stats.mjs';
import { writeReport } from './lib/report.mjs';
import { findRedis, startRedis } from './lib/redis.mjs';
import { findSlapd, startSlapd } from './lib/slapd.mjs';
import { checkAnswer, fetchRefreshToken, WORKLOADS, writeBenchConfig } from './lib/workloads.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    workers: { type: 'string', default: String(availableParallelism()) },
  },
});
const smoke = values.smoke;
const seconds = smoke ? 1 : Number(values.seconds);
const runs = smoke ? 1 : Number(values.runs);
const CONNECTIONS = 50;
const WORKERS = Number(values.workers);
const only = new Set((values.only ?? (smoke ? 'W1' : '')).split(',').filter(Boolean));
if (!existsSync(join(dist, 'server.js'))) throw new Error('no build: run `npm run build` first (npm run bench does)');

const work = mkdtempSync(join(tmpdir(), 'regauth-bench-'));
const log = (line) => process.stderr.write(`${line}\n`);

async function makeKey(name, type, bits) {
  const { generateKeyAndCertificate } = await import(`${dist}/token/index.js`);
  const pair = await generateKeyAndCertificate({ type, curve: 'P-256', bits, commonName: 'bench', days: 2 });
  const file = join(work, `${name}.pem`);
  writeFileSync(file, pair.keyPem, { mode: 0o600 });
  return file;
}

/** Starts a process that prints or logs its readiness; resolves with it and its base URL. */
function startProcess(args, env, ready) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const url = ready(out);
      if (url) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        child.stderr.resume();
        resolvePromise({ child, url });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => reject(new Error(`exited ${code} before it was ready:\n${out.slice(-2000)}`)));
  });
}

async function stopProcess(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Ready when it listens; with several workers, when the primary says they all do. */
function startRegauth(configFile, workers) {
  return startProcess([join(root, 'bin', 'regauth.js'), 'serve', '--config', configFile], { REGAUTH_LOG_LEVEL: 'info' }, (out) => {
    const lines = out.split('\n');
    const line = lines.find((l) => l.includes('"regauth listening"'));
    if (workers > 1 && !lines.some((l) => l.includes('"regauth cluster ready"'))) return undefined;
    return line ? JSON.parse(line).url : undefined;
  });
}

function startBaseline() {
  return startProcess([join(root, 'bench', 'baseline-server.mjs')], {}, (out) => {
    const port = /^(\d+)\n/.exec(out)?.[1];
    return port ? `http://127.0.0.1:${port}` : undefined;
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `runs` runs against one fresh server process; the median run is reported. */
async function figure(start, request, expectStatus, prepare) {
  const { child, url } = await start();
  try {
    const req = typeof request === 'function' ? request(await prepare(url)) : request;
    if (expectStatus !== undefined) await checkAnswer(url, req, expectStatus);
    await drive({ url: `${url}${req.path}`, request: req, seconds: Math.min(2, seconds), connections: CONNECTIONS }); // warm-up
    const results = [];
    for (let i = 0; i < runs; i++) {
      const cpu0 = cpuMs(child.pid);
      const machine0 = machineCpuMs();
      const t0 = performance.now();
      const r = await drive({ url: `${url}${req.path}`, request: req, seconds, connections: CONNECTIONS });
      const wall = performance.now() - t0;
      const serverCpu = cpuMs(child.pid) - cpu0;
      const machineCpu = machineCpuMs() - machine0;
      results.push({
        ...r,
        cpuPerRequestMs: serverCpu / Math.max(1, r.requests),
        serverCpuMs: serverCpu,
        otherCpuShare: Math.max(0, machineCpu - serverCpu) / wall,
      });
    }
    const mid = results.find((r) => r.rps === median(results.map((x) => x.rps)));
    return { ...mid, raw: undefined, runs: results.map((r) => Math.round(r.rps)), ...peakRss(child.pid) };
  } finally {
    await stopProcess(child);
  }
}

const keys = smoke
  ? [['ES256', await makeKey('es256', 'ec')]]
  : [
      ['ES256', await makeKey('es256', 'ec')],
      ['RS256', await makeKey('rs2048', 'rsa', 2048)],
    ];
const rsa4096 = smoke ? null : await makeKey('rs4096', 'rsa', 4096);

log(`load generator: ${loadTool()}${loadTool() === 'wrk' ? '' : ' (wrk not found: apt-get install wrk)'}; ${seconds}s × ${runs} runs, c=${CONNECTIONS}`);
const baselines = { tool: loadTool() };
log('B1 bare Fastify …');
baselines.B1 = await figure(startBaseline, { path: '/auth' });
log(`  ${Math.round(baselines.B1.rps)} req/s`);
baselines.B2 = {};
for (const [alg, file] of [...keys, ...(rsa4096 ? [['RS256-4096', rsa4096]] : [])]) baselines.B2[alg] = await signsPerSecond(dist, file, smoke ? 300 : 2000);
baselines.B3 = { cost5: await comparesPerSecond(5, smoke ? 300 : 2000), cost10: smoke ? null : await comparesPerSecond(10, 2000) };
log(
  `B2 signs/s per core ${JSON.stringify(Object.fromEntries(Object.entries(baselines.B2).map(([k, v]) => [k, Math.round(v)])))}; B3 compares/s per core ${JSON.stringify(baselines.B3)}`,
);

const figures = [];
const selected = WORKLOADS.filter((w) => only.size === 0 || only.has(w.id));
// W8's directory, started once for all its figures.
let ldap;
if (selected.some((w) => w.ldap) && findSlapd()) {
  mkdirSync(join(work, 'slapd'));
  ldap = await startSlapd(root, join(work, 'slapd'));
}
// W11's and W12's shared store, likewise.
let redis;
if (selected.some((w) => w.redis) && findRedis()) {
  mkdirSync(join(work, 'redis'));
  redis = await startRedis(root, join(work, 'redis'));
}
for (const workload of selected) {
  const missing = workload.ldap && !ldap ? 'slapd' : workload.redis && !redis ? 'redis-server' : undefined;
  if (missing) {
    log(`${workload.id}: skipped, ${missing} is not installed (apt-get install ${missing})`);
    figures.push({ workload: workload.id, title: workload.title, pending: `${missing} (apt-get install ${missing})` });
    continue;
  }
  // W1 also with one worker: what one process does, and so what the workers add.
  const variants = [
    ...keys.map(([alg, file]) => [alg, file, WORKERS]),
    ...(workload.id === 'W1' && rsa4096 ? [['RS256-4096', rsa4096, WORKERS]] : []),
    ...(workload.id === 'W1' && !smoke && WORKERS > 1 ? [[keys[0][0], keys[0][1], 1]] : []),
  ];
  for (const [alg, keyFile, workers] of variants) {
    const dir = join(work, `${workload.id}-${alg}-${workers}`);
    mkdirSync(dir, { recursive: true });
    const configFile = writeBenchConfig(dir, keyFile, {
      cache: workload.cache ?? '0s',
      first: workload.first,
      workers,
      ldap: workload.ldap ? ldap : undefined,
      redis: workload.redis ? redis : undefined,
    });
    log(`${workload.id} ${alg}, ${workers} worker(s): ${workload.title} …`);
    const result = await figure(
      () => startRegauth(configFile, workers),
      workload.request,
      workload.status,
      async (url) => ({
        refreshToken: workload.refresh ? await fetchRefreshToken(url) : undefined,
        ldap,
      }),
    );
    log(
      `  ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.cpuPerRequestMs.toFixed(3)} CPU ms/req, peak RSS ${result.peakRssMiB.toFixed(0)} MiB (largest worker ${result.largestWorkerMiB.toFixed(0)}, primary ${result.primaryMiB?.toFixed(0) ?? '–'})`,
    );
    figures.push({ workload: workload.id, title: workload.title, alg, workers, ...result });
  }
}

// Cheap requests must not queue behind expensive ones: W1's latency while W3 keeps bcrypt busy.
if (!smoke && (only.size === 0 || (only.has('W1') && only.has('W3')))) {
  const [alg, keyFile] = keys[0];
  const dir = join(work, 'mixed');
  mkdirSync(dir, { recursive: true });
  const configFile = writeBenchConfig(dir, keyFile, { workers: WORKERS });
  const w1 = WORKLOADS.find((w) => w.id === 'W1').request();
  const w3 = WORKLOADS.find((w) => w.id === 'W3').request();
  log(`W1+W3 ${alg}: anonymous pulls while cold bcrypt-10 logins saturate the hashing slots …`);
  const { child, url } = await startRegauth(configFile, WORKERS);
  try {
    const cpu0 = cpuMs(child.pid);
    const [cheap, costly] = await Promise.all([
      drive({ url: `${url}${w1.path}`, request: w1, seconds, connections: CONNECTIONS / 2 }),
      drive({ url: `${url}${w3.path}`, request: w3, seconds, connections: CONNECTIONS / 2 }),
    ]);
    const serverCpu = cpuMs(child.pid) - cpu0;
    figures.push({
      workload: 'W1+W3',
      title: "W1 (anonymous pull) while W3 saturates bcrypt; figures are W1's",
      alg,
      workers: WORKERS,
      ...cheap,
      raw: undefined,
      runs: [Math.round(cheap.rps)],
      cpuPerRequestMs: serverCpu / Math.max(1, cheap.requests + costly.requests),
      // Two load generators share the machine here: no fair 'other CPU' figure.
      otherCpuShare: Number.NaN,
      ...peakRss(child.pid),
      alongside: { rps: costly.rps, p99: costly.p99 },
    });
    log(`  W1 ${Math.round(cheap.rps)} req/s, p99 ${cheap.p99} ms; W3 alongside ${Math.round(costly.rps)} req/s`);
  } finally {
    await stopProcess(child);
  }
}

await ldap?.stop();
await redis?.stop();

const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.versions.node, date: new Date().toISOString() };
const outDir = values.out;
mkdirSync(outDir, { recursive: true });
const latest = join(outDir, 'latest.json');
const previous = existsSync(latest) ? JSON.parse(readFileSync(latest, 'utf8')) : null;
const results = { machine, settings: { seconds, runs, connections: CONNECTIONS, workers: WORKERS, smoke }, baselines, figures };
writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
if (!smoke) writeReport(join(root, 'BENCHMARKS.md'), results, previous, join(root, 'bench', 'analysis.md'));
rmSync(work, { recursive: true, force: true });
log(`results: ${latest}${smoke ? '' : ', BENCHMARKS.md'}`);
