import { z } from 'zod';
import { pluginOptionsShape } from './plugin.schema.js';

export const pluginAuthorizerSchema = z.strictObject({
  type: z.literal('plugin'),
  name: z.string().min(1).optional(),
  ...pluginOptionsShape,
});

export type PluginAuthorizerConfig = z.output<typeof pluginAuthorizerSchema>;
