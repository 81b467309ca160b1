import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from '../observability/logger.js';
import { ConfigError, fromZodIssues } from './config-issue.js';

/**
 * The process environment regauth reads, validated once by @nestjs/config. The YAML config keeps
 * its own loader and atomic snapshot: the environment only says where that file is and how loud
 * to log. Unknown variables are ignored (the environment is shared with everything else); a
 * known one with a bad value is an error naming it.
 */
const environmentSchema = z.object({
  REGAUTH_CONFIG: z.string().min(1).optional().describe('Config file, when --config is not given'),
  REGAUTH_LOG_LEVEL: z.enum(LOG_LEVELS).optional().describe('Overrides log.level of the config file'),
});

export type EnvironmentVariables = z.output<typeof environmentSchema>;

export const DEFAULT_CONFIG_FILE = 'config/default.yml';

/**
 * The `validate` hook of ConfigModule. It returns no defaults on purpose: @nestjs/config copies
 * what it returns into process.env, and child processes (ext_auth scripts) inherit that.
 */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError('environment', fromZodIssues(parsed.error.issues));
  return parsed.data;
}

/** Typed reads of the validated environment, for the app and for every CLI command. */
@Injectable()
export class RuntimeEnvironment {
  constructor(@Inject(ConfigService) private readonly env: ConfigService<EnvironmentVariables, true>) {}

  /** `--config FILE`, else REGAUTH_CONFIG, else the development default. */
  configFile(flag?: string): string {
    return flag ?? this.env.get('REGAUTH_CONFIG', { infer: true }) ?? DEFAULT_CONFIG_FILE;
  }

  /** REGAUTH_LOG_LEVEL, when set, wins over the config file's log.level. */
  logLevel(): LogLevel | undefined {
    return this.env.get('REGAUTH_LOG_LEVEL', { infer: true });
  }
}

@Module({})
export class EnvironmentModule {
  static async forRoot(): Promise<DynamicModule> {
    return {
      module: EnvironmentModule,
      global: true,
      imports: [await ConfigModule.forRoot({ ignoreEnvFile: true, cache: true, validate: validateEnvironment })],
      providers: [RuntimeEnvironment],
      exports: [RuntimeEnvironment],
    };
  }
}

/**
 * The environment for commands that run without the HTTP app (check-config, explain, …): a
 * standalone Nest context with the same module, so every command reads it the same way.
 */
export async function readEnvironment(): Promise<RuntimeEnvironment> {
  const context = await NestFactory.createApplicationContext(await EnvironmentModule.forRoot(), { logger: false, abortOnError: false });
  try {
    return context.get(RuntimeEnvironment);
  } finally {
    await context.close();
  }
}
