import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian package that ships each binary the e2e tests run. */
const APT_PACKAGE: Readonly<Record<string, string>> = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  openssl: 'openssl',
  tar: 'tar',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
};

export interface BinaryRequirement {
  readonly available: boolean;
  readonly missing: readonly string[];
  /**
   * `describe` when every binary is on PATH. Otherwise, locally, `describe.skip` (after a loud
   * line on stderr); in CI (`CI=true`) a describe whose only test fails naming what is missing,
   * so a misconfigured CI machine can never turn the e2e suite green by skipping it.
   */
  readonly describeIf: typeof describe;
}

export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Binaries Debian does not package, with where to get them. */
const NOT_IN_DEBIAN: Readonly<Record<string, string>> = {
  kubectl: 'kubectl from https://kubernetes.io/docs/tasks/tools/ (1.27 or later bundles kustomize)',
};

export function installHint(missing: readonly string[]): string {
  const unique = [...new Set(missing)];
  const packages = [...new Set(unique.filter((name) => !NOT_IN_DEBIAN[name]).map((name) => APT_PACKAGE[name] ?? name))];
  const others = unique.flatMap((name) => NOT_IN_DEBIAN[name] ?? []);
  return [...(packages.length > 0 ? [`install with apt-get install ${packages.join(' ')}`] : []), ...others.map((o) => `get ${o}`)].join('; ');
}

export interface RequireOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the local SKIPPED line goes; stderr, so it is seen even when Jest hides console output. */
  readonly warn?: (line: string) => void;
}

export function requireBinaries(names: readonly string[], opts: RequireOptions = {}): BinaryRequirement {
  const env = opts.env ?? process.env;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(line));
  const missing = names.filter((name) => findOnPath(name, env.PATH ?? '') === undefined);
  if (missing.length === 0) return { available: true, missing, describeIf: describe };

  const message = `e2e needs ${names.join(', ')}; missing: ${missing.join(', ')} — ${installHint(missing)}`;
  if (env.CI !== 'true') {
    warn(`\n*** SKIPPED: ${message} ***\n\n`);
    return { available: false, missing, describeIf: describe.skip };
  }
  return { available: false, missing, describeIf: failingDescribe(`FAILED (CI=true): ${message}`) };
}

/** Same call shapes as `describe` (plain and `.each`), but every block is one failing test. */
function failingDescribe(message: string): typeof describe {
  const fail = (name: unknown): void => {
    describe(String(name), () => {
      it('has the binaries it needs', () => {
        throw new Error(message);
      });
    });
  };
  const each = (table: readonly unknown[]) => (name: string) => {
    // One failure per table is enough to name the problem.
    fail(`${name} (${table.length} cases)`);
  };
  return Object.assign((name: unknown) => fail(name), { each, only: describe.only, skip: describe.skip });
}
