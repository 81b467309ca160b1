import { createRequire } from 'node:module';
import { checkConfigCommand } from './check-config.command.js';
import { convertCommand } from './convert.command.js';
import { explainCommand } from './explain.command.js';
import { genKeyCommand } from './gen-key.command.js';
import { hashPasswordCommand } from './hash-password.command.js';
import { healthcheckCommand } from './healthcheck.command.js';
import { registryConfigCommand } from './registry-config.command.js';
import { revokeCommand } from './revoke.command.js';
import { serveCommand } from './serve.command.js';
import { UsageError, type Command } from './command.js';

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  'check-config': checkConfigCommand,
  'hash-password': hashPasswordCommand,
  'gen-key': genKeyCommand,
  'registry-config': registryConfigCommand,
  explain: explainCommand,
  convert: convertCommand,
  healthcheck: healthcheckCommand,
  revoke: revokeCommand,
};

const USAGE = `Usage: regauth <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`)
  .join('\n')}

Run "regauth <command> --help" for a command's options, "regauth --version" for the version.
`;

/** The version in package.json, which ships next to dist/ in the package and the image. */
export function version(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}

/** Returns the process exit code; commands print their own messages. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    process.stdout.write(`regauth ${version()} (node ${process.versions.node})\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`regauth: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    process.stderr.write(`regauth ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) {
      process.stderr.write(`\n${command.usage}\n`);
      return 2;
    }
    return 1;
  }
}
