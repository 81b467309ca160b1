import { z } from 'zod';
import { duration } from '../../config/duration.js';

/** Options shared by plugin providers and plugin authorizers. */
export const pluginOptionsShape = {
  module: z
    .string()
    .min(1)
    .describe('JS module (ESM) to import: a path, relative to the config file, or a package name'),
  options: z.record(z.string(), z.unknown()).default({}).describe("Passed as-is to the module's factory"),
  timeout: duration.prefault('5s').describe('Deadline for one call into the plugin'),
};

export const pluginProviderSchema = z.strictObject({
  type: z.literal('plugin'),
  name: z.string().min(1).optional(),
  ...pluginOptionsShape,
});

export type PluginOptions = z.output<z.ZodObject<typeof pluginOptionsShape>>;
export type PluginProviderConfig = z.output<typeof pluginProviderSchema>;
