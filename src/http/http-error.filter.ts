import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../observability/logger.js';
import { errorBody, errorForStatus, statusOf, type HttpError } from './http-errors.js';

const TOKEN_PATH = /\/auth(\/token)?\/?(\?|$)/;

/**
 * Everything the controllers do not answer themselves — unknown routes, other methods, bodies
 * the framework refuses, unexpected exceptions — gets the same JSON error shape as the token
 * endpoint, with fixed messages: no echoed URL, no framework internals, no stack.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = statusFrom(exception);
    if (status === 404 && TOKEN_PATH.test(req.url)) status = 405;
    const error: HttpError = errorForStatus(status);
    if (statusOf(error.kind) >= 500) this.logger.error({ err: exception, method: req.method }, 'unhandled error');
    reply.code(statusOf(error.kind)).header('Cache-Control', 'no-store').type('application/json');
    if (error.kind === 'method_not_allowed') reply.header('Allow', 'GET, POST');
    void reply.send(errorBody(error));
  }
}

function statusFrom(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const code = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}
