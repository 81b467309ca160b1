import { MAX_PASSWORD_BYTES } from './basic-auth.js';
import { parseTokenRequest } from './token-request.js';
import { basic, errorOf, grantOf, post, requestOf } from './token-request.fixture.js';

describe(`${parseTokenRequest.name} (OAuth2 POST)`, () => {
  describe('POST password grant', () => {
    const containerd = {
      grant_type: 'password',
      username: 'alice',
      password: 'pw',
      service: 'registry',
      client_id: 'containerd-client',
      scope: 'repository:x:pull repository:x:pull,push',
    };

    it('reads the containerd form (docs/protocol.md item 21)', () => {
      const request = requestOf(post(containerd));
      expect(grantOf(request)).toEqual({ grant: 'password', user: 'alice', password: 'pw', refreshToken: undefined });
      expect(request).toMatchObject({ service: 'registry', clientId: 'containerd-client', offline: false });
      expect(request.scopes).toMatchObject([{ name: 'x', actions: ['pull', 'push'] }]);
    });

    it('asks for a refresh token with access_type=offline', () => {
      expect(requestOf(post({ ...containerd, access_type: 'offline' })).offline).toBe(true);
    });

    it('accepts a POST without scope (docs/protocol.md item 24)', () => {
      const { scope: _, ...withoutScope } = containerd;
      expect(requestOf(post(withoutScope)).scopes).toEqual([]);
    });

    it('reads Basic credentials when the form has no username (docker_auth)', () => {
      expect(grantOf(requestOf(post({ grant_type: 'password', service: 'registry' }, basic('alice', 'pw'))))).toMatchObject({
        grant: 'password',
        user: 'alice',
        password: 'pw',
      });
    });

    it('answers 401 for a password grant without any credentials, never anonymous', () => {
      expect(errorOf(post({ grant_type: 'password', scope: 'repository:a:pull' }))).toEqual({ status: 401, code: 'empty_credentials' });
    });

    it.each([
      ['an empty password', { username: 'alice', password: '' }],
      ['no password field', { username: 'alice' }],
      ['an empty username', { username: '', password: 'pw' }],
    ])('answers 401 for %s (docs/security.md rule 2)', (_, fields) => {
      expect(errorOf(post({ grant_type: 'password', ...fields }))).toEqual({ status: 401, code: 'empty_credentials' });
    });

    it('applies the username rules to form credentials', () => {
      expect(errorOf(post({ grant_type: 'password', username: 'ali\0ce', password: 'pw' })).code).toBe('invalid_username');
    });

    it('applies the password cap to form credentials', () => {
      expect(errorOf(post({ grant_type: 'password', username: 'alice', password: 'p'.repeat(MAX_PASSWORD_BYTES + 1) })).code).toBe('password_too_long');
    });

    it('uses form credentials and leaves an Authorization header to OAuth2 client authentication', () => {
      const request = requestOf(post(containerd, 'Bearer client-assertion'));
      expect(grantOf(request)).toMatchObject({ user: 'alice', password: 'pw' });
    });

    it('never reads credentials from the query string', () => {
      expect(errorOf(post({ grant_type: 'password' }, undefined, { username: 'alice', password: 'pw' })).code).toBe('empty_credentials');
    });
  });

  describe('POST refresh grant', () => {
    it('reads the refresh token (docs/protocol.md item 23)', () => {
      const request = requestOf(
        post({ grant_type: 'refresh_token', refresh_token: 'RT', service: 'registry', client_id: 'docker', scope: 'repository:a:pull' }),
      );
      expect(grantOf(request)).toEqual({ grant: 'refresh_token', user: undefined, password: undefined, refreshToken: 'RT' });
      expect(request.scopes).toMatchObject([{ name: 'a' }]);
    });

    it('reads repeated scope fields (containers/image)', () => {
      const request = requestOf(post({ grant_type: 'refresh_token', refresh_token: 'RT', scope: ['repository:a:pull', 'repository:b:pull,push'] }));
      expect(request.scopes.map((s) => s.name)).toEqual(['a', 'b']);
    });

    it.each([
      ['missing', {}],
      ['empty', { refresh_token: '' }],
    ])('refuses a %s refresh token with 400', (_, fields) => {
      expect(errorOf(post({ grant_type: 'refresh_token', ...fields }))).toEqual({ status: 400, code: 'missing_refresh_token' });
    });

    it('ignores Basic credentials sent along', () => {
      const request = requestOf(post({ grant_type: 'refresh_token', refresh_token: 'RT' }, basic('mallory', 'pw')));
      expect(request.user).toBeUndefined();
    });

    it('never prints the refresh token', () => {
      const request = requestOf(post({ grant_type: 'refresh_token', refresh_token: 'very-secret-token' }));
      expect(JSON.stringify(request)).not.toContain('very-secret-token');
    });
  });

  describe('POST without grant_type', () => {
    it('treats Basic credentials like GET', () => {
      expect(grantOf(requestOf(post({ service: 'registry' }, basic('alice', 'pw'))))).toMatchObject({ grant: 'password', user: 'alice' });
    });

    it('reads a form username and password (docker_auth)', () => {
      expect(grantOf(requestOf(post({ username: 'alice', password: 'pw' })))).toMatchObject({ grant: 'password', user: 'alice' });
    });

    it('is anonymous without any credentials', () => {
      expect(requestOf(post({ scope: 'repository:a:pull' })).grant).toBe('anonymous');
    });

    it('is anonymous for a missing body', () => {
      expect(requestOf(post(null)).grant).toBe('anonymous');
    });

    it('honours offline_token like GET', () => {
      expect(requestOf(post({ offline_token: 'true' }, basic('alice', 'pw'))).offline).toBe(true);
    });
  });

  describe('POST with other grant types', () => {
    it.each(['authorization_code', 'client_credentials', 'PASSWORD'])('refuses %s as unsupported', (grantType) => {
      expect(errorOf(post({ grant_type: grantType, username: 'alice', password: 'pw' }))).toEqual({ status: 400, code: 'unsupported_grant_type' });
    });
  });

  describe('POST merged with the query string', () => {
    it('keeps parameters carried over from the realm URL', () => {
      expect(requestOf(post({ grant_type: 'password', username: 'alice', password: 'pw' }, undefined, { service: 'registry' })).service).toBe('registry');
    });

    it('lets form fields win over query parameters', () => {
      const request = requestOf(post({ grant_type: 'password', username: 'alice', password: 'pw', service: 'form' }, undefined, { service: 'query' }));
      expect(request.service).toBe('form');
    });

    it('takes the scope from the form when it has one', () => {
      const request = requestOf(post({ scope: 'repository:form:pull' }, undefined, { scope: 'repository:query:pull' }));
      expect(request.scopes.map((s) => s.name)).toEqual(['form']);
    });
  });
});
