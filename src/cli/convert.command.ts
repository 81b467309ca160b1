import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError } from '../config/config-issue.js';
import { convertDockerAuth } from '../config/docker-auth.convert.js';
import { parseOptions, UsageError, type Command } from './command.js';

export const convertCommand: Command = {
  summary: 'convert a docker_auth auth_config.yml into the equivalent native config',
  usage: `Usage: regauth convert FILE [--out FILE]

Reads a docker_auth-format auth_config.yml and prints (or writes to --out) the native config that
gives the same decision for every request. Rules the native format reads differently are
rewritten to keep docker_auth's meaning and say so in a comment: ** in globs, rules that could
never match, label values used as patterns, real_ip_header believed from every client. The
result is loaded back before it is written. See docs/migrating-from-docker_auth.md.`,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { out: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UsageError('give one docker_auth config file');
    const [file] = positionals;
    let conversion;
    try {
      conversion = convertDockerAuth(await readFile(file, 'utf8'), file);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        return 1;
      }
      throw err;
    }
    if (values.out === undefined) process.stdout.write(conversion.yaml);
    else await writeFile(values.out, conversion.yaml, { flag: 'wx' });
    for (const note of conversion.notes) process.stderr.write(`note: ${note}\n`);
    return 0;
  },
};
