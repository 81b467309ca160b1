import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthResult, Provider } from '../authn/provider.js';
import type { RequestContext } from '../common/request-context.js';
import { toLabels } from '../common/labels.js';
import { Secret } from '../common/secret.js';
import { loadConfigFile } from '../config/config-loader.js';
import { buildSnapshot, type Snapshot } from '../config/snapshot.js';
import { grantToken } from './token-grant.js';
import type { RequestedScope } from './scope.js';

const ctx: RequestContext = { requestId: 'r', ip: '10.1.2.3', service: '', signal: new AbortController().signal };
const pullScope: RequestedScope = { type: 'repository', name: 'team/app', raw: ['repository:team/app:pull'], actions: ['pull'], unknownActions: [], valid: true };

/** A provider with a fixed answer or failure: the chain's contract, not a stand-in for a server. */
const providerAnswering = (answer: AuthResult | Error): Provider => ({
  name: 'fixed',
  async authenticate() {
    if (answer instanceof Error) throw answer;
    return answer;
  },
});

describe('grantToken', () => {
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

  it('answers 503 with Retry-After when a provider fails, and never says why', async () => {
    const sut = await grantToken(withProviders(providerAnswering(new Error('ldap://10.0.0.5 refused: secret stuff'))), passwordRequest, ctx);
    expect(sut.ok).toBe(false);
    expect(!sut.ok && sut.error).toEqual({ kind: 'unavailable', message: 'authentication backend unavailable, try again later' });
    expect(!sut.ok && sut.retryAfter).toBe(5);
    expect(sut.audit.outcome).toBe('backend_error');
  });

  it('uses the labels a provider returns for ACL label rules', async () => {
    const sut = await grantToken(withProviders(providerAnswering({ kind: 'allow', labels: toLabels({ team: ['ops'] }) })), passwordRequest, ctx);
    expect(sut.ok && sut.audit.granted).toEqual(['repository:team/app:pull']);
  });

  it('uses the canonical account name a provider returns as the subject', async () => {
    const sut = await grantToken(withProviders(providerAnswering({ kind: 'allow', labels: toLabels({}), account: 'Alice.Canonical' })), passwordRequest, ctx);
    expect(sut.ok && sut.audit.account).toBe('Alice.Canonical');
  });

  it('matches ip rules against the client address', async () => {
    const request = { ...passwordRequest, scopes: [{ ...pullScope, actions: ['push'], raw: ['repository:team/app:push'] }] };
    const allowed = providerAnswering({ kind: 'allow', labels: toLabels({}) });
    const inside = await grantToken(withProviders(allowed), request, ctx);
    const outside = await grantToken(withProviders(allowed), request, { ...ctx, ip: '192.0.2.1' });
    expect(inside.ok && inside.audit.granted).toEqual(['repository:team/app:push']);
    expect(outside.ok && outside.audit.granted).toEqual([]);
  });

  it('defaults a missing service to the only configured one', async () => {
    const sut = await grantToken(withProviders(providerAnswering({ kind: 'allow', labels: toLabels({}) })), passwordRequest, ctx);
    const claims = JSON.parse(Buffer.from(String((sut.ok && sut.body.token) as string).split('.')[1]!, 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe('reg');
  });

  it('answers 401 when every provider answers no_match', async () => {
    const sut = await grantToken(withProviders(providerAnswering({ kind: 'no_match' })), passwordRequest, ctx);
    expect(!sut.ok && sut.error.kind).toBe('unauthorized');
  });
});
