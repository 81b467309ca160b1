// Drives a URL with wrk (or autocannon when wrk is missing) and returns req/s and latency.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function loadTool() {
  return spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
}

/** A wrk Lua script for one request shape: method, headers, body. */
function luaScript({ method = 'GET', headers = {}, body }) {
  const lines = [`wrk.method = ${JSON.stringify(method)}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  if (body !== undefined) lines.push(`wrk.body = ${JSON.stringify(body)}`);
  return `${lines.join('\n')}\n`;
}

function parseDuration(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
}

/** One run: { rps, p50, p99, requests, errors, non2xx } (latencies in ms). */
export async function drive({ url, request, seconds, connections, threads = 1 }) {
  if (loadTool() === 'wrk') return runWrk({ url, request, seconds, connections, threads });
  return runAutocannon({ url, request, seconds, connections });
}

async function runWrk({ url, request, seconds, connections, threads }) {
  const dir = mkdtempSync(join(tmpdir(), 'regauth-bench-'));
  const script = join(dir, 'request.lua');
  writeFileSync(script, luaScript(request));
  const out = await new Promise((resolve, reject) => {
    const child = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
  rmSync(dir, { recursive: true, force: true });
  const number = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const latency = (pct) => parseDuration(new RegExp(`^\\s*${pct}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: latency(50),
    p99: latency(99),
    requests: number(/(\d+) requests in/),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/) || 0,
    errors: errors ? errors.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
    raw: out,
  };
}

async function runAutocannon({ url, request, seconds, connections }) {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, connections, duration: seconds, method: request.method ?? 'GET', headers: request.headers, body: request.body });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
