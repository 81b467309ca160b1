import { z } from 'zod';
import { commandOptionsShape } from './command.schema.js';

export const commandAuthorizerSchema = z.strictObject({
  type: z.literal('command'),
  name: z.string().min(1).optional(),
  ...commandOptionsShape,
  stdout: z
    .enum(['actions', 'ignore'])
    .default('actions')
    .describe('actions: on exit 0, stdout may be {"actions": [...]} to grant a subset; ignore: docker_auth ext_authz, exit 0 grants all'),
});

export type CommandAuthorizerConfig = z.output<typeof commandAuthorizerSchema>;
