import { Module, type DynamicModule } from '@nestjs/common';
import { LoginThrottle } from './authn/login-throttle.js';
import { RefreshRevocations } from './store/refresh-revocations.js';
import { SharedStore } from './store/shared-store.js';
import { APP_FILTER } from '@nestjs/core';
import { WorkerChannel } from './cluster/worker-channel.js';
import { CONFIG_FILE, ConfigReloader } from './config/config-reloader.js';
import { ConfigWatcher } from './config/config-watcher.js';
import { EnvironmentModule, RuntimeEnvironment } from './config/environment.js';
import { SnapshotStore } from './config/snapshot-store.js';
import { TokenGrantService } from './grant/token-grant.service.js';
import { AuthController } from './http/auth.controller.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { MetaController } from './http/meta.controller.js';
import { LiveServerSettings } from './lifecycle/live-server-settings.js';
import { ProcessLifecycle } from './lifecycle/process-lifecycle.js';
import { Readiness } from './lifecycle/readiness.js';
import { createLogger, LOGGER, type Logger, type LogLevel } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { MetricsServer } from './observability/metrics-server.js';

export interface AppOptions {
  /**
   * Holds the snapshot built before Nest starts (a bad config never half-boots the app). Made
   * by the caller because the Fastify adapter, which exists before the module, reads it too.
   */
  readonly store: SnapshotStore;
  /** Read again on every reload. */
  readonly configFile: string;
  /** A ready logger (tests capture lines), else one at `logLevel`, REGAUTH_LOG_LEVEL or log.level. */
  readonly logger?: Logger;
  readonly logLevel?: LogLevel;
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [EnvironmentModule.forRoot()],
      controllers: [AuthController, MetaController],
      providers: [
        { provide: SnapshotStore, useFactory: () => options.store },
        { provide: CONFIG_FILE, useValue: options.configFile },
        {
          provide: LOGGER,
          inject: [RuntimeEnvironment],
          useFactory: (env: RuntimeEnvironment): Logger =>
            options.logger ?? createLogger(options.logLevel ?? env.logLevel() ?? options.store.current.config.log.level),
        },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        ConfigReloader,
        ConfigWatcher,
        TokenGrantService,
        LoginThrottle,
        SharedStore,
        RefreshRevocations,
        ProcessLifecycle,
        Readiness,
        LiveServerSettings,
        Metrics,
        MetricsServer,
        WorkerChannel,
      ],
    };
  }
}
