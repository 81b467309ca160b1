import { z } from 'zod';
import { credentialCacheField } from '../../authn/credential-cache.js';
import { duration } from '../../common/duration.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Options shared by the command provider (docker_auth ext_auth) and the command authorizer
 * (ext_authz). The command and its arguments are fixed here: nothing from a request ever goes on
 * the command line, and no shell is involved.
 */
export const commandOptionsShape = {
  command: z.string().min(1).describe('Executable: a path (relative to the config file) or a name looked up in PATH; run without a shell'),
  args: z
    .array(z.string())
    .default([])
    .describe('Fixed arguments. Every local user can read them (ps): no secrets here, not even as ${env:...}; list the variable under env instead'),
  env: z
    .array(z.string().regex(ENV_NAME, 'expected an environment variable name'))
    .default([])
    .describe('Variables passed from the server environment besides PATH, HOME and LANG (e.g. CICD_SECRET)'),
  inherit_env: z.boolean().default(false).describe("Pass the server's whole environment (docker_auth's behaviour; set for translated ext_auth/ext_authz)"),
  timeout: duration.prefault('5s').describe('Deadline for one run; the whole process group is killed past it'),
  concurrency: z.number().int().min(1).max(1024).default(8).describe('Runs at the same time on the machine, shared out among the workers'),
  queue: z.number().int().min(0).max(100_000).default(64).describe('Runs waiting for a slot; past it, 503 + Retry-After'),
  max_output: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Bytes allowed on stdout; more kills the command and fails the request'),
};

export const commandProviderSchema = z.strictObject({
  type: z.literal('command'),
  name: z.string().min(1).optional(),
  ...credentialCacheField,
  ...commandOptionsShape,
});

export type CommandOptions = z.output<z.ZodObject<typeof commandOptionsShape>>;
export type CommandProviderConfig = z.output<typeof commandProviderSchema>;
