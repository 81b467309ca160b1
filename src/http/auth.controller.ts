import { randomUUID } from 'node:crypto';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { startDeadline } from '../common/deadline.js';
import { SnapshotStore } from '../config/snapshot-store.js';
import { TokenGrantService, type GrantAudit } from '../grant/token-grant.service.js';
import { LOGGER, type Logger } from '../observability/logger.js';
import { Metrics, type TokenOutcome } from '../observability/metrics.js';
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
    @Inject(Metrics) private readonly metrics: Metrics,
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
    let grantType = 'unknown';
    const audit = (entry: GrantAudit): void =>
      this.logger.info(
        { audit: 'token', request_id: requestId, ip, method, client_id: clientIdOf(req), ...entry, ms: Math.round(performance.now() - started) },
        'token request',
      );
    const refuse = (refusal: Refusal): void => {
      this.metrics.tokenRequest(REFUSAL_OUTCOME[statusOf(refusal.code)] ?? 'error', grantType, (performance.now() - started) / 1000);
      this.refuse(reply, refusal, token.issuer);
    };

    if (!address.ok) {
      audit({ outcome: 'bad_request', reason: address.reason });
      return refuse({ code: 'invalid_client_address', message: 'the forwarded client address is not an IP address' });
    }
    const body = method === 'POST' ? (req.body as Params | null | undefined) : undefined;
    const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(req.headers['content-type'] ?? '');
    if (method === 'POST' && (!isForm || body === undefined || body === null || typeof body !== 'object')) {
      audit({ outcome: 'bad_request', reason: 'POST body is not a form' });
      return refuse({ code: 'not_form' });
    }
    const parsed = parseTokenRequest({
      method,
      query: req.query as Params,
      body,
      authorization: authorizationHeaders(req.raw.rawHeaders),
      // Id tokens are longer than any password: allowed only where a provider can take them.
      limits: { idTokens: snapshot.config.authn.some((p) => p.type === 'oidc') },
    });
    if (!parsed.ok) {
      audit({ outcome: statusOf(parsed.code) === 401 ? 'denied' : 'bad_request', reason: parsed.message });
      return refuse(parsed);
    }
    grantType = parsed.request.grant;

    const deadline = startDeadline(server.request_timeout);
    // A client that hangs up (a CLI stopped with Ctrl-C, a load generator between runs, a flood
    // that never waits for answers) gives up its place in the bcrypt queue and its backend calls:
    // otherwise every later request waits behind work whose answer nobody will read.
    // Made only when it happens: a DOMException records a stack, too dear for every request.
    let hungUp: DOMException | undefined;
    const onClose = (): void => {
      if (reply.raw.writableFinished) return;
      hungUp = new DOMException('the client closed the connection', 'AbortError');
      deadline.abort(hungUp);
    };
    reply.raw.once('close', onClose);
    let outcome;
    try {
      outcome = await this.grants.grant(snapshot, parsed.request, {
        requestId,
        ip,
        service: parsed.request.service ?? '',
        signal: deadline.signal,
        trace: this.metrics.trace,
      });
    } catch (err) {
      this.logger.error({ request_id: requestId, err }, 'token request failed');
      audit({ outcome: 'backend_error', reason: 'internal error' });
      return refuse({ code: 'internal' });
    } finally {
      deadline.release();
      reply.raw.off('close', onClose);
    }
    if (hungUp !== undefined) {
      audit({ ...outcome.audit, outcome: 'abandoned', reason: 'the client closed the connection before the answer' });
      this.metrics.tokenRequest('abandoned', grantType, (performance.now() - started) / 1000);
      return;
    }
    audit(outcome.audit);
    if (!outcome.ok) {
      if (outcome.audit.outcome === 'backend_error') this.logger.warn({ request_id: requestId, reason: outcome.audit.reason }, 'backend failure');
      return refuse(outcome.refusal);
    }
    this.metrics.tokenRequest(grantOutcome(outcome.audit), grantType, (performance.now() - started) / 1000);
    this.metrics.tokenIssued('access');
    if (outcome.body.refresh_token !== undefined) this.metrics.tokenIssued('refresh');
    void reply.code(200).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json').send(outcome.body);
  }

  private refuse(reply: FastifyReply, refusal: Refusal, issuer: string): void {
    sendRefusal(reply, refusalResponse(refusal, issuer));
  }
}

const REFUSAL_OUTCOME: Readonly<Record<number, TokenOutcome>> = { 400: 'bad_request', 401: 'unauthorized', 429: 'throttled', 503: 'unavailable' };

/** A token was issued: did it carry everything that was asked? */
function grantOutcome(audit: GrantAudit): TokenOutcome {
  const decisions = audit.decisions ?? [];
  const asked = decisions.reduce((n, d) => n + d.requested.length, 0);
  const given = decisions.reduce((n, d) => n + d.granted.length, 0);
  if (asked === 0) return audit.ignored ? 'denied' : 'granted';
  if (given === asked) return 'granted';
  return given === 0 ? 'denied' : 'partial';
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
