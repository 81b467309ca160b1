import { randomUUID } from 'node:crypto';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SnapshotStore } from '../config/snapshot-store.js';
import { TokenGrantService, type GrantAudit } from '../grant/token-grant.service.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { clientIp } from './client-ip.js';
import { refusalResponse, sendRefusal, statusOf, type Refusal } from './refusal-table.js';
import { parseTokenRequest } from './token-request.js';

type Params = Record<string, string | string[] | undefined>;

/**
 * `/auth` and `/auth/token` (registry `autoredirect` uses the latter), GET and OAuth2 POST.
 * The controller only adapts HTTP: parsing is a pure function, granting is TokenGrantService,
 * and refusal-table.ts decides how every refusal is answered.
 */
@Controller()
export class AuthController {
  constructor(
    @Inject(SnapshotStore) private readonly store: SnapshotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(TokenGrantService) private readonly grants: TokenGrantService,
  ) {}

  @Get(['auth', 'auth/token'])
  async get(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle('GET', req, reply);
  }

  @Post(['auth', 'auth/token'])
  async post(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle('POST', req, reply);
  }

  private async handle(method: 'GET' | 'POST', req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const snapshot = this.store.current;
    const { server, token } = snapshot.config;
    const address = clientIp({
      peer: req.socket.remoteAddress,
      resolved: req.ip,
      headers: req.headers,
      realIpHeader: server.real_ip_header,
      realIpPos: server.real_ip_pos,
      realIpFrom: server.real_ip_from,
      trustedProxy: snapshot.trustedProxy,
    });
    const ip = address.ok ? address.ip : null;
    const requestId = randomUUID();
    const audit = (entry: GrantAudit): void =>
      this.logger.info(
        { audit: 'token', request_id: requestId, ip, method, client_id: clientIdOf(req), ...entry, ms: Math.round(performance.now() - started) },
        'token request',
      );

    if (!address.ok) {
      audit({ outcome: 'bad_request', reason: address.reason });
      return this.refuse(reply, { code: 'invalid_client_address', message: 'the forwarded client address is not an IP address' }, token.issuer);
    }
    const body = method === 'POST' ? (req.body as Params | null | undefined) : undefined;
    const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(req.headers['content-type'] ?? '');
    if (method === 'POST' && (!isForm || body === undefined || body === null || typeof body !== 'object')) {
      audit({ outcome: 'bad_request', reason: 'POST body is not a form' });
      return this.refuse(reply, { code: 'not_form' }, token.issuer);
    }
    const parsed = parseTokenRequest({ method, query: req.query as Params, body, authorization: authorizationHeaders(req.raw.rawHeaders) });
    if (!parsed.ok) {
      audit({ outcome: statusOf(parsed.code) === 401 ? 'denied' : 'bad_request', reason: parsed.message });
      return this.refuse(reply, parsed, token.issuer);
    }

    const signal = AbortSignal.timeout(server.request_timeout);
    let outcome;
    try {
      outcome = await this.grants.grant(snapshot, parsed.request, { requestId, ip, service: parsed.request.service ?? '', signal });
    } catch (err) {
      this.logger.error({ request_id: requestId, err }, 'token request failed');
      audit({ outcome: 'backend_error', reason: 'internal error' });
      return this.refuse(reply, { code: 'internal' }, token.issuer);
    }
    audit(outcome.audit);
    if (!outcome.ok) {
      if (outcome.audit.outcome === 'backend_error') this.logger.warn({ request_id: requestId, reason: outcome.audit.reason }, 'backend failure');
      return this.refuse(reply, outcome.refusal, token.issuer);
    }
    void reply.code(200).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json').send(outcome.body);
  }

  private refuse(reply: FastifyReply, refusal: Refusal, issuer: string): void {
    sendRefusal(reply, refusalResponse(refusal, issuer));
  }
}

/** Node keeps only the first of repeated Authorization headers; the raw list shows them all. */
function authorizationHeaders(raw: readonly string[]): string[] | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() === 'authorization') values.push(raw[i + 1]);
  return values.length > 0 ? values : undefined;
}

function clientIdOf(req: FastifyRequest): string | undefined {
  const fromBody = (req.body as Params | undefined)?.client_id;
  const raw = fromBody ?? (req.query as Params).client_id;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value?.slice(0, 64);
}
