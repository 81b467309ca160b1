import type { z } from 'zod';

/**
 * The shape shared by the provider and authorizer tables: `type` → the backend's own config
 * schema and its factory (dex's connector registry, in TypeScript). The config schema is the
 * discriminated union of the schemas, so an unknown `type` is an error listing the known ones.
 */
export interface BackendType<S extends z.ZodType, Ctx, T> {
  readonly schema: S;
  readonly create: (config: z.output<S>, ctx: Ctx) => Promise<T>;
}

type Table = Readonly<Record<string, BackendType<z.ZodType, never, unknown>>>;

/** The schemas of a table as the non-empty tuple `z.discriminatedUnion` wants. */
export function schemasOf<T extends Table>(table: T): [T[keyof T]['schema'], ...T[keyof T]['schema'][]] {
  return Object.values(table).map((t) => t.schema) as [T[keyof T]['schema'], ...T[keyof T]['schema'][]];
}

/** An instance's name: its `name`, else `<type>#<index>`; used in logs and refresh tokens. */
export function backendName(config: { readonly type: string; readonly name?: string }, index: number): string {
  return config.name ?? `${config.type}#${index}`;
}

/** Runs the factory registered for `config.type`; the schema has already checked the type. */
export function createFromTable<Ctx, R>(
  table: Readonly<Record<string, BackendType<z.ZodType, Ctx, R>>>,
  config: { readonly type: string },
  ctx: Ctx,
): Promise<R> {
  return table[config.type].create(config, ctx);
}
