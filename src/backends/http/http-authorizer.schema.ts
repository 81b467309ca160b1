import { z } from 'zod';
import { httpCallbackOptionsShape } from './http.schema.js';

export const httpAuthorizerSchema = z.strictObject({
  type: z.literal('http'),
  name: z.string().min(1).optional(),
  ...httpCallbackOptionsShape,
});

export type HttpAuthorizerConfig = z.output<typeof httpAuthorizerSchema>;
