import { Controller, Get, Header, Inject, NotFoundException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SnapshotStore } from '../config/snapshot-store.js';
import { Readiness } from '../lifecycle/readiness.js';
import { Metrics } from '../observability/metrics.js';
import { SharedStore } from '../store/shared-store.js';

/**
 * Endpoints that never call a backend: key publication and health. They reveal nothing about
 * users or providers (docs/security.md rule 25).
 */
@Controller()
export class MetaController {
  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(Readiness) private readonly readiness: Readiness,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(SharedStore) private readonly shared: SharedStore,
  ) {}

  /** Here unless turned off or moved to a listener of its own (metrics.addr, MetricsServer). */
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async prometheus(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { enabled, addr } = this.store.current.config.metrics;
    if (!enabled || addr !== undefined) throw new NotFoundException();
    const { contentType, body } = await this.metrics.text();
    void reply.type(contentType);
    return body;
  }

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

  /**
   * Ready: a snapshot is loaded (always true once the app exists: the first one is built before
   * Nest starts, and a failed reload keeps the previous one) with a signing key that was checked
   * when it was built, and the process is not draining. 503 from the moment SIGTERM arrives.
   * An unreachable shared store is shown but keeps the server ready: logins go on with this
   * machine's counters, and taking every replica out of service at once would be worse.
   */
  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  ready(@Res({ passthrough: true }) reply: FastifyReply): Record<string, unknown> {
    const restart = this.readiness.restartRequired;
    const store = this.shared.state;
    const detail = {
      generation: this.store.generation,
      ...(restart.length > 0 ? { restart_required: restart } : {}),
      ...(store === 'memory' ? {} : { store }),
    };
    if (this.readiness.draining) {
      void reply.code(503);
      return { status: 'draining', ...detail };
    }
    return { status: 'ready', ...detail };
  }
}
