import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-issue.js';
import { loadConfigFile } from '../config/config-loader.js';
import { buildSnapshot, closeSnapshot } from '../config/snapshot.js';
import { configPath, parseOptions, UsageError, type Command } from './command.js';

export const checkConfigCommand: Command = {
  summary: 'validate a config file (native or docker_auth), its keys and backends',
  usage: `Usage: regauth check-config [FILE] [--config FILE]

Validates the whole config and reports every problem with its path, e.g.
  acl[3].match.ip: invalid CIDR "10.0.0.0/33"
It also loads the keys and sets up every provider and authorizer as \`serve\` would (scripts
resolved, plugin modules imported, CA and password files read) without contacting any backend.
Exits 0 when the config is valid (warnings are printed but allowed), 1 otherwise.`,
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { config: { type: 'string' } }, true);
    if (positionals.length > 1) throw new UsageError('give one config file');
    const file = positionals[0] ?? (await configPath(values.config));
    let loaded;
    try {
      loaded = await loadConfigFile(file);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        return 1;
      }
      throw err;
    }
    const { token } = loaded.config;
    const missing = token.keys.filter((k) => !existsSync(resolve(loaded.baseDir, k.key)));
    let warnings = [...loaded.warnings];
    if (missing.length > 0 && token.generate_missing) {
      warnings.push('token keys are missing and will be generated at start (token.generate_missing)');
    } else {
      try {
        const snapshot = await buildSnapshot(loaded);
        warnings = [...snapshot.warnings];
        await closeSnapshot(snapshot);
      } catch (err) {
        process.stderr.write(
          err instanceof ConfigError ? `${err.message}\n` : `invalid config ${file}:\n  - ${err instanceof Error ? err.message : String(err)}\n`,
        );
        return 1;
      }
    }
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    const c = loaded.config;
    process.stdout.write(
      `config OK: ${file} (${loaded.format === 'docker_auth' ? 'docker_auth format' : 'native format'}; ` +
        `${c.authn.length} provider(s), ${c.acl.length} ACL rule(s), ${c.token.keys.length} key(s))\n`,
    );
    return 0;
  },
};
