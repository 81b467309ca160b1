import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginError } from './plugin-error.js';

type Exports = Record<string, unknown>;

/**
 * Imports a plugin module once per config load. A path (`./x.mjs`, `../plugins/x.mjs`, `/abs`)
 * resolves against the config file's folder; anything else is a package name. A changed file is
 * imported afresh on reload (its modification time is part of the URL), since ESM caches modules
 * by URL forever.
 */
export async function importPlugin(spec: string, baseDir: string): Promise<Exports> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  let target = spec;
  if (isPath) {
    const file = resolve(baseDir, spec);
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      throw new PluginError('load_failed', spec, `module not found (${file})`);
    }
    target = `${pathToFileURL(file).href}?mtime=${Math.trunc(mtime)}`;
  }
  try {
    return (await import(target)) as Exports;
  } catch (err) {
    throw new PluginError('load_failed', spec, `cannot import: ${err instanceof Error ? err.message : String(err)}`);
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

/** Races a plugin call against its deadline and the request's, so a hung promise cannot hold a request. */
export async function withDeadline<T>(spec: string, timeoutMs: number, signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  deadline.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new PluginError('timeout', spec, signal.aborted ? 'request deadline passed' : `no answer within ${timeoutMs} ms`));
    deadline.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(deadline), aborted]);
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
}
