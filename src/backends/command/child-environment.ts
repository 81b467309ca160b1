/** Passed to every command unless the config turns the allow-list off. */
export const BASE_ENV_NAMES = ['PATH', 'HOME', 'LANG'] as const;

export interface EnvironmentOptions {
  /** Extra variable names copied from the server's environment (e.g. CICD_SECRET). */
  readonly names: readonly string[];
  /** docker_auth's behaviour: the child sees the server's whole environment. */
  readonly inherit: boolean;
}

/**
 * The environment a command runs with, computed once at load. By default an allow-list, so a
 * script never sees the server's other secrets (key passphrases, LDAP bind passwords) unless the
 * operator names them; variables that are not set are left out rather than passed empty.
 */
export function childEnvironment(opts: EnvironmentOptions, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (opts.inherit) {
    for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
    return out;
  }
  for (const name of [...BASE_ENV_NAMES, ...opts.names]) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
