import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginError } from './plugin-error.js';

type Exports = Record<string, unknown>;

/**
 * Imports a plugin module once per config load. A path resolves against the config file's
 * folder: `./x.mjs`, `../plugins/x.mjs`, an absolute path, and also `plugins/x.mjs` when that
 * file exists (as `command:` treats such names); anything else is a package name. A changed file
 * is imported afresh on reload (its modification time is part of the URL), since ESM caches
 * modules by URL forever.
 */
export async function importPlugin(spec: string, baseDir: string): Promise<Exports> {
  const file = resolve(baseDir, spec);
  const explicitPath = spec.startsWith('.') || isAbsolute(spec);
  const mtime = fileMtime(file);
  if (explicitPath && mtime === undefined) throw new PluginError('load_failed', spec, `module not found (${file})`);
  const target = mtime !== undefined ? `${pathToFileURL(file).href}?mtime=${Math.trunc(mtime)}` : spec;
  try {
    return (await import(target)) as Exports;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    // A relative path written without ./ whose file is missing ends up here as a package name.
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    const hint = mtime === undefined && notFound ? `; no file ${file} either` : '';
    throw new PluginError('load_failed', spec, `cannot import: ${detail}${hint}`);
  }
}

function fileMtime(file: string): number | undefined {
  try {
    const stat = statSync(file);
    return stat.isFile() ? stat.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

/** The named export, else the same name on the default export; a clear error when neither is a function. */
export function pickFactory<F>(exports: Exports, name: 'createProvider' | 'createAuthorizer', spec: string): F {
  const direct = exports[name];
  const fromDefault = (exports.default as Exports | undefined)?.[name];
  const factory = typeof direct === 'function' ? direct : fromDefault;
  if (typeof factory !== 'function') {
    throw new PluginError('bad_shape', spec, `must export a function ${name}(options, context); exports: ${Object.keys(exports).join(', ') || 'none'}`);
  }
  return factory as F;
}
