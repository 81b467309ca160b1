import { basic, errorOf, get, grantOf, post, requestOf } from './token-request.fixture.js';
import { parseTokenRequest } from './token-request.js';

describe(parseTokenRequest.name, () => {
  describe('GET', () => {
    it('reads service, scope and Basic credentials (docs/protocol.md item 8)', () => {
      const request = requestOf(get({ service: 'registry', scope: 'repository:a/b:pull' }, basic('alice', 'pw')));
      expect(grantOf(request)).toEqual({ grant: 'password', user: 'alice', password: 'pw', refreshToken: undefined });
      expect(request.service).toBe('registry');
      expect(request.scopes).toMatchObject([{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
    });

    it('accepts a login without scope (docs/protocol.md item 9)', () => {
      expect(requestOf(get({ service: 'registry' }, basic('alice', 'pw'))).scopes).toEqual([]);
    });

    it('reads the docker login parameters (docs/protocol.md item 10)', () => {
      const request = requestOf(get({ account: 'alice', client_id: 'docker', offline_token: 'true', service: 'registry' }, basic('alice', 'pw')));
      expect(request).toMatchObject({ offline: true, clientId: 'docker', account: 'alice', service: 'registry' });
    });

    it('honours every repeated scope parameter (docs/protocol.md item 11)', () => {
      const request = requestOf(get({ scope: ['repository:dst:push,pull', 'repository:src:pull'] }, basic('alice', 'pw')));
      expect(request.scopes.map((s) => s.name)).toEqual(['dst', 'src']);
    });

    it('splits a scope value holding several scopes (docs/protocol.md item 12)', () => {
      const request = requestOf(get({ scope: 'repository:a:pull repository:b:pull' }, basic('alice', 'pw')));
      expect(request.scopes.map((s) => s.name)).toEqual(['a', 'b']);
    });

    it('ignores an empty scope parameter (docs/protocol.md item 13)', () => {
      expect(requestOf(get({ scope: '' }, basic('alice', 'pw'))).scopes).toEqual([]);
    });

    it('treats a request without Authorization as anonymous (docs/protocol.md item 16)', () => {
      expect(grantOf(requestOf(get({ scope: 'repository:a:pull' })))).toEqual({ grant: 'anonymous' });
    });

    it('reads an empty service as no service (docs/protocol.md item 18)', () => {
      expect(requestOf(get({ service: '' })).service).toBeUndefined();
    });

    it('keeps a service with spaces as decoded upstream', () => {
      expect(requestOf(get({ service: 'Docker registry' })).service).toBe('Docker registry');
    });

    it('does not ask for a refresh token unless offline_token=true', () => {
      expect(requestOf(get({ offline_token: 'false' }, basic('alice', 'pw'))).offline).toBe(false);
      expect(requestOf(get({}, basic('alice', 'pw'))).offline).toBe(false);
    });

    it('ignores credentials and grant types in the query string', () => {
      const request = requestOf(get({ username: 'alice', password: 'pw', grant_type: 'password', scope: 'repository:a:pull' }));
      expect(request.grant).toBe('anonymous');
    });

    it('ignores a body on GET', () => {
      expect(requestOf({ method: 'GET', query: {}, body: { username: 'alice', password: 'pw' }, authorization: undefined }).grant).toBe('anonymous');
    });
  });

  describe('Authorization problems', () => {
    it.each([
      ['a Bearer token', 'Bearer abc', 'unsupported_scheme'],
      ['broken base64', 'Basic YWxpY2U6cHc', 'invalid_base64'],
      ['no colon', `Basic ${Buffer.from('alice').toString('base64')}`, 'missing_colon'],
      ['two headers', [basic('alice', 'pw'), basic('bob', 'pw')], 'multiple_authorization'],
    ])('refuses %s with 400 instead of going anonymous', (_, authorization, code) => {
      expect(errorOf(get({ scope: 'repository:a:pull' }, authorization))).toEqual({ status: 400, code });
    });

    it.each([
      ['an empty user and password', '', ''],
      ['an empty password', 'alice', ''],
      ['an empty user', '', 'pw'],
    ])('answers 401 for Basic with %s (docs/security.md rule 2)', (_, user, password) => {
      expect(errorOf(get({}, basic(user, password)))).toEqual({ status: 401, code: 'empty_credentials' });
    });
  });

  describe('account', () => {
    it('refuses an account other than the Basic user', () => {
      expect(errorOf(get({ account: 'bob' }, basic('alice', 'pw')))).toEqual({ status: 400, code: 'account_mismatch' });
    });

    it('compares the account byte for byte', () => {
      expect(errorOf(get({ account: 'Alice' }, basic('alice', 'pw'))).code).toBe('account_mismatch');
    });

    it('accepts a missing or empty account', () => {
      expect(requestOf(get({}, basic('alice', 'pw'))).account).toBeUndefined();
      expect(requestOf(get({ account: '' }, basic('alice', 'pw'))).account).toBeUndefined();
    });

    it('refuses an account other than the form username', () => {
      expect(errorOf(post({ grant_type: 'password', username: 'alice', password: 'pw', account: 'bob' })).code).toBe('account_mismatch');
    });

    it('never turns an account on an anonymous request into an identity', () => {
      const request = requestOf(get({ account: 'alice', scope: 'repository:a:pull' }));
      expect(request).toMatchObject({ grant: 'anonymous', account: 'alice' });
      expect(request.user).toBeUndefined();
    });
  });

  describe('parameters', () => {
    it.each(['service', 'account', 'client_id', 'offline_token'])('refuses a repeated %s parameter', (key) => {
      expect(errorOf(get({ [key]: ['a', 'b'] }, basic('alice', 'pw')))).toEqual({ status: 400, code: 'duplicate_parameter' });
    });

    it.each(['username', 'password', 'refresh_token', 'grant_type'])('refuses a repeated %s form field', (key) => {
      const body = { grant_type: 'password', username: 'alice', password: 'pw', refresh_token: 'rt', [key]: ['a', 'b'] };
      expect(errorOf(post(body)).code).toBe('duplicate_parameter');
    });

    it('refuses an unparsable scope as invalid_scope and says why', () => {
      const result = parseTokenRequest(get({ scope: 'repository:a' }, basic('alice', 'pw')));
      expect(result).toMatchObject({ ok: false, code: 'invalid_scope', message: expect.stringContaining('type:name:actions') });
    });

    it('accepts a scope that parses but grants nothing', () => {
      expect(requestOf(get({ scope: 'repository:UPPER:pull' }, basic('alice', 'pw'))).scopes).toMatchObject([{ valid: false }]);
    });
  });
});
