import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthResult, Provider } from '../authn/provider.js';
import type { RequestContext } from '../common/request-context.js';
import { toLabels } from '../common/labels.js';
import { Secret } from '../common/secret.js';
import { loadConfigFile } from '../config/config-loader.js';
import { buildSnapshot, type Snapshot } from '../config/snapshot.js';
import { LoginThrottle } from '../authn/login-throttle.js';
import { RefreshRevocations } from '../store/refresh-revocations.js';
import { TokenGrantService } from './token-grant.service.js';
import type { RequestedScope } from './token-request.types.js';

const ctx: RequestContext = { requestId: 'r', ip: '10.1.2.3', service: '', signal: new AbortController().signal };
const pullScope: RequestedScope = {
  type: 'repository',
  name: 'team/app',
  raw: ['repository:team/app:pull'],
  actions: ['pull'],
  unknownActions: [],
  valid: true,
};

/** A provider with a fixed answer or failure: the chain's contract, not a stand-in for a server. */
const providerAnswering = (answer: AuthResult | Error): Provider => ({
  name: 'fixed',
  async authenticate() {
    if (answer instanceof Error) throw answer;
    return answer;
  },
});

describe(TokenGrantService.name, () => {
  const sut = new TokenGrantService(new LoginThrottle(), new RefreshRevocations());
  let base: Snapshot;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regauth-grant-'));
    writeFileSync(
      join(dir, 'c.yml'),
      `token: { issuer: i, generate_missing: true, keys: [{ key: k.pem, certificate: c.pem }] }
services: [reg]
authn: []
acl:
  - { match: { labels: { team: ops } }, actions: [pull] }
  - { match: { ip: 10.0.0.0/8 }, actions: [push] }
`,
    );
    base = await buildSnapshot(await loadConfigFile(join(dir, 'c.yml')));
  });
  const withProviders = (...providers: Provider[]): Snapshot => ({ ...base, providers });
  const passwordRequest = { grant: 'password' as const, user: 'alice', password: new Secret('pw'), scopes: [pullScope], offline: false };

  it('refuses as backend_unavailable when a provider fails, and never says why', async () => {
    const outcome = await sut.grant(withProviders(providerAnswering(new Error('ldap://10.0.0.5 refused: secret stuff'))), passwordRequest, ctx);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.refusal).toEqual({ code: 'backend_unavailable' });
    expect(outcome.audit.outcome).toBe('backend_error');
  });

  it('uses the labels a provider returns for ACL label rules', async () => {
    const outcome = await sut.grant(withProviders(providerAnswering({ kind: 'allow', labels: toLabels({ team: ['ops'] }) })), passwordRequest, ctx);
    expect(outcome.ok && outcome.audit.granted).toEqual(['repository:team/app:pull']);
  });

  it('uses the canonical account name a provider returns as the subject', async () => {
    const outcome = await sut.grant(
      withProviders(providerAnswering({ kind: 'allow', labels: toLabels({}), account: 'Alice.Canonical' })),
      passwordRequest,
      ctx,
    );
    expect(outcome.ok && outcome.audit.account).toBe('Alice.Canonical');
  });

  it('matches ip rules against the client address', async () => {
    const request = { ...passwordRequest, scopes: [{ ...pullScope, actions: ['push'], raw: ['repository:team/app:push'] }] };
    const allowed = providerAnswering({ kind: 'allow', labels: toLabels({}) });
    const inside = await sut.grant(withProviders(allowed), request, ctx);
    const outside = await sut.grant(withProviders(allowed), request, { ...ctx, ip: '192.0.2.1' });
    expect(inside.ok && inside.audit.granted).toEqual(['repository:team/app:push']);
    expect(outside.ok && outside.audit.granted).toEqual([]);
  });

  it('defaults a missing service to the only configured one', async () => {
    const outcome = await sut.grant(withProviders(providerAnswering({ kind: 'allow', labels: toLabels({}) })), passwordRequest, ctx);
    const claims = JSON.parse(Buffer.from(String((outcome.ok && outcome.body.token) as string).split('.')[1], 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe('reg');
  });

  it('refuses as unauthorized when every provider answers no_match', async () => {
    const outcome = await sut.grant(withProviders(providerAnswering({ kind: 'no_match' })), passwordRequest, ctx);
    expect(!outcome.ok && outcome.refusal.code).toBe('unauthorized');
  });
});
