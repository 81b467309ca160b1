import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SnapshotStore } from '../config/snapshot-store.js';

/**
 * Endpoints that never call a backend: key publication and health. They reveal nothing about
 * users or providers (docs/security.md rule 25).
 */
@Controller()
export class MetaController {
  constructor(@Inject(SnapshotStore) private readonly store: SnapshotStore) {}

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): unknown {
    return this.store.current.keys.jwks;
  }

  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  health(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  ready(): { status: string } {
    return { status: 'ready' };
  }
}
