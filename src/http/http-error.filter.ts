import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SnapshotStore } from '../config/snapshot-store.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { refusalForStatus, refusalResponse, sendRefusal } from './refusal-table.js';

const TOKEN_PATH = /\/auth(\/token)?\/?(\?|$)/;

/**
 * Everything the controllers do not answer themselves — unknown routes, other methods, bodies
 * the framework refuses, unexpected exceptions — gets the same JSON error shape as the token
 * endpoint, with fixed messages: no echoed URL, no framework internals, no stack. Registered as
 * APP_FILTER, so Nest builds it with its dependencies.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = statusFrom(exception);
    // Fastify answers 404 for a method it has no route for; on the token paths that is a 405.
    if (status === 404 && TOKEN_PATH.test(req.url)) status = 405;
    const response = refusalResponse(refusalForStatus(status), this.store.current.config.token.issuer);
    if (response.status >= 500) this.logger.error({ err: exception, method: req.method }, 'unhandled error');
    sendRefusal(reply, response);
  }
}

function statusFrom(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const code = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}
