import { Module, type DynamicModule } from '@nestjs/common';
import { SnapshotStore } from './config/snapshot-store.js';
import { AuthController } from './http/auth.controller.js';
import { MetaController } from './http/meta.controller.js';
import { LOGGER } from './http/tokens.js';
import type { Logger } from './observability/logger.js';

/** The snapshot store and logger are built before Nest starts, so a bad config never half-boots. */
@Module({})
export class AppModule {
  static forRoot(store: SnapshotStore, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      controllers: [AuthController, MetaController],
      providers: [
        { provide: SnapshotStore, useValue: store },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}
