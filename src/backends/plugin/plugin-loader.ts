import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BackendBuildContext } from '../../common/build-context.js';
import { createPluginCaller, type PluginCaller } from './plugin-call.js';
import type { PluginOptions } from './plugin.schema.js';
import { PluginError } from './plugin-error.js';

type Exports = Record<string, unknown>;

/**
 * Imports a plugin module once per config load. A path resolves against the config file's
 * folder: `./x.mjs`, `../plugins/x.mjs`, an absolute path, and also `plugins/x.mjs` when that
 * file exists (as `command:` treats such names); anything else is a package name. A changed file
 * is imported afresh on reload (its modification time is part of the URL), since ESM caches
 * modules by URL forever.
 */
export async function importPlugin(spec: string, baseDir: string, uses: (file: string) => void = () => undefined): Promise<Exports> {
  const file = resolve(baseDir, spec);
  const explicitPath = spec.startsWith('.') || isAbsolute(spec);
  const mtime = fileMtime(file);
  if (explicitPath && mtime === undefined) throw new PluginError('load_failed', spec, `module not found (${file})`);
  const target = mtime !== undefined ? `${pathToFileURL(file).href}?mtime=${Math.trunc(mtime)}` : spec;
  // A module file is watched; its own imports and packages from node_modules are not.
  if (mtime !== undefined) uses(file);
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

/** A plugin instance whose required method exists, with the caller that bounds every call. */
export interface PluginInstance<K extends string> {
  readonly instance: Record<K, (...args: unknown[]) => unknown>;
  readonly call: PluginCaller;
  readonly close?: () => Promise<void>;
}

/**
 * Imports the module, runs its factory with the configured options and checks the returned
 * object has `method` — the part providers and authorizers written in JS share.
 */
export async function instantiatePlugin<K extends string>(
  config: Pick<PluginOptions, 'module' | 'options' | 'timeout' | 'concurrency' | 'queue'>,
  ctx: BackendBuildContext,
  factoryName: 'createProvider' | 'createAuthorizer',
  method: K,
  /** With its article, as the message shows it: "an authorize(request, ctx)". */
  signature: string,
): Promise<PluginInstance<K>> {
  const spec = config.module;
  const factory = pickFactory<(options: Record<string, unknown>, context: { name: string; baseDir: string }) => unknown>(
    await importPlugin(spec, ctx.baseDir, ctx.uses),
    factoryName,
    spec,
  );
  const instance: unknown = await factory({ ...config.options }, { name: ctx.name, baseDir: ctx.baseDir });
  if (!hasFunction(instance, method)) {
    throw new PluginError('bad_shape', spec, `${factoryName}() must return an object with ${signature} method`);
  }
  const close = hasFunction(instance, 'close') ? instance.close.bind(instance) : undefined;
  return {
    instance,
    call: createPluginCaller(spec, config),
    ...(close ? { close: async () => void (await close()) } : {}),
  };
}

function hasFunction<K extends string>(value: unknown, key: K): value is Record<K, (...args: unknown[]) => unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[key] === 'function';
}
