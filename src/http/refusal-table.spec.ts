import { refusalForStatus, refusalResponse } from './refusal-table.js';

describe(refusalResponse.name, () => {
  it('challenges a failed login with Basic in the issuer realm and a fixed message', () => {
    const sut = refusalResponse({ code: 'unauthorized', message: 'wrong password (provider static#0)' }, 'Acme "auth"');
    expect(sut.status).toBe(401);
    expect(sut.headers['WWW-Authenticate']).toBe('Basic realm="Acme auth"');
    expect(sut.body.details).toBe('authentication required: invalid username or password');
  });

  it('answers an empty user or password like a failed login', () => {
    const sut = refusalResponse({ code: 'empty_credentials', message: 'empty' }, 'i');
    expect(sut.status).toBe(401);
    expect(sut.headers['WWW-Authenticate']).toBeDefined();
  });

  it('answers a backend failure with 503, Retry-After and a text that does not depend on the cause', () => {
    const sut = refusalResponse({ code: 'backend_unavailable', message: 'ldap://10.0.0.5 refused' }, 'i');
    expect(sut.status).toBe(503);
    expect(sut.headers['Retry-After']).toBe('5');
    expect(JSON.stringify(sut.body)).not.toContain('10.0.0.5');
  });

  it('shows the parser message for a malformed request', () => {
    const sut = refusalResponse({ code: 'invalid_scope', message: 'invalid scope "x"' }, 'i');
    expect(sut).toEqual({
      status: 400,
      headers: { 'Cache-Control': 'no-store' },
      body: { errors: [{ code: 'INVALID_REQUEST', message: 'invalid scope "x"' }], details: 'invalid scope "x"' },
    });
  });

  it('adds the RFC 6749 error field for an unsupported grant type', () => {
    expect(refusalResponse({ code: 'unsupported_grant_type', message: 'm' }, 'i').body.error).toBe('unsupported_grant_type');
  });

  it('names the allowed methods on 405', () => {
    expect(refusalResponse({ code: 'method_not_allowed' }, 'i').headers.Allow).toBe('GET, POST');
  });

  it('marks every answer as not cacheable', () => {
    for (const code of ['unknown_service', 'internal', 'not_found'] as const) {
      expect(refusalResponse({ code }, 'i').headers['Cache-Control']).toBe('no-store');
    }
  });
});

describe(refusalForStatus.name, () => {
  it.each([
    [404, 'not_found'],
    [405, 'method_not_allowed'],
    [413, 'too_large'],
    [415, 'unsupported_media_type'],
    [400, 'malformed'],
    [431, 'malformed'],
    [500, 'internal'],
    [502, 'internal'],
  ])('maps a framework %i to %s', (status, code) => {
    expect(refusalForStatus(status).code).toBe(code);
  });
});
