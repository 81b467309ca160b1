import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from './config-loader.js';
import { configJsonSchemaText } from './json-schema.js';

/** Every config the project ships must load: they are the documentation users copy from. */
const yamlIn = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(dir, f));
const shipped = [...yamlIn('config'), ...yamlIn('config/docker-auth')];

describe('shipped configs', () => {
  it.each(shipped)('%s loads without errors', async (file) => {
    await expect(loadConfigFile(file, {})).resolves.toBeDefined();
  });

  it('config/docker-auth files are read as docker_auth format', async () => {
    for (const file of shipped.filter((f) => f.includes('docker-auth'))) {
      expect((await loadConfigFile(file, {})).format).toBe('docker_auth');
    }
  });

  it('config/schema.json matches the schema in code (run `npm run schema` after changing it)', () => {
    expect(readFileSync('config/schema.json', 'utf8')).toBe(configJsonSchemaText());
  });
});
