import { readEnvironment } from '../config/environment.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/** Thrown for bad command-line input; the CLI prints it and exits 2. */
export class UsageError extends Error {}

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--config FILE`, else REGAUTH_CONFIG, else the development default (see RuntimeEnvironment). */
export async function configPath(flag: string | undefined): Promise<string> {
  return (await readEnvironment()).configFile(flag);
}
