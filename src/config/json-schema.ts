import { z } from 'zod';
import { configSchema } from './config.schema.js';

/**
 * The JSON Schema of the native config, for editors (yaml-language-server). Generated from the
 * same zod schema the server validates with, so the two cannot drift; a test fails when
 * config/schema.json is stale (`npm run schema` rewrites it).
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return { ...schema, $id: 'https://regauth.dev/schema/config.json', title: 'regauth config' };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
