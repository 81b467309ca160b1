import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadConfigFile } from '../config/config-loader.js';
import { splitAddr } from '../config/listen-addr.js';
import { configPath, parseOptions, UsageError, type Command } from './command.js';

/** A probe must answer fast or count as a failure: the container's HEALTHCHECK has its own timeout too. */
const PROBE_TIMEOUT_MS = 3000;

export const healthcheckCommand: Command = {
  summary: "ask the local server's /healthz (or /readyz) — for a container HEALTHCHECK",
  usage: `Usage: regauth healthcheck [--config FILE] [--ready] [--url URL]

Asks the server described by the config (its port, https when server.certificate is set, and
path_prefix) on 127.0.0.1 for /healthz, or /readyz with --ready, and exits 0 when it answers
200, 1 otherwise. Meant for a container HEALTHCHECK, where the image has no curl. The server's
own certificate is not verified: this checks that it answers, not who it is. --url skips the
config and asks that URL.`,
  async run(argv) {
    const { values } = parseOptions(argv, { config: { type: 'string' }, ready: { type: 'boolean', default: false }, url: { type: 'string' } });
    const path = values.ready ? 'readyz' : 'healthz';
    let url: URL;
    if (values.url !== undefined) {
      try {
        url = new URL(values.url);
      } catch {
        throw new UsageError(`--url: not a URL: ${values.url}`);
      }
    } else {
      const { server } = (await loadConfigFile(await configPath(values.config))).config;
      const [, port] = splitAddr(server.addr);
      url = new URL(`${server.certificate ? 'https' : 'http'}://127.0.0.1:${port}${server.path_prefix}/${path}`);
    }
    const status = await probe(url);
    if (status === 200) return 0;
    process.stderr.write(`${url.href}: ${status === null ? 'no answer' : `HTTP ${status}`}\n`);
    return 1;
  },
};

function probe(url: URL): Promise<number | null> {
  return new Promise((resolve) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', timeout: PROBE_TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
