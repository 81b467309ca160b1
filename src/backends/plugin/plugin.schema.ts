import { z } from 'zod';
import { credentialCacheField } from '../../authn/credential-cache.js';
import { duration } from '../../common/duration.js';

/** Options shared by plugin providers and plugin authorizers. */
export const pluginOptionsShape = {
  module: z
    .string()
    .min(1)
    .describe('JS module (ESM) to import: a file, relative to the config file (used whenever one of that name exists), else a package name'),
  options: z.record(z.string(), z.unknown()).default({}).describe("Passed as-is to the module's factory"),
  timeout: duration.prefault('5s').describe('Deadline for one call into the plugin, time waiting for a slot included'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(4096)
    .default(64)
    .describe('Calls into the plugin at the same time; a call keeps its slot until it settles, even past its deadline'),
  queue: z.number().int().min(0).max(100_000).default(256).describe('Calls waiting for a slot; past it, 503 + Retry-After'),
};

export const pluginProviderSchema = z.strictObject({
  type: z.literal('plugin'),
  name: z.string().min(1).optional(),
  ...credentialCacheField,
  ...pluginOptionsShape,
});

export type PluginOptions = z.output<z.ZodObject<typeof pluginOptionsShape>>;
export type PluginProviderConfig = z.output<typeof pluginProviderSchema>;
