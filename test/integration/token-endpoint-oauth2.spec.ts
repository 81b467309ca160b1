import { basic, claimsOf } from '../support/token-server.fixture.js';
import { useTokenEndpoint, users, writeConfig } from './token-endpoint.fixture.js';

/** The token endpoint over real HTTP, POST in OAuth2 style: password and refresh-token grants (docs/protocol.md checklist C, I). */

describe('token endpoint over HTTP', () => {
  const endpoint = useTokenEndpoint();
  const { get, post } = endpoint;

  it('accepts an OAuth2 password grant with a charset in the content type (containerd)', async () => {
    const res = await post(
      {
        grant_type: 'password',
        username: 'alice',
        password: users.alice,
        service: 'it-registry',
        client_id: 'containerd-client',
        scope: 'repository:dev/app:pull repository:dev/app:pull,push',
      },
      { contentType: 'application/x-www-form-urlencoded; charset=utf-8' },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string };
    expect(claimsOf(body.access_token).access).toEqual([{ type: 'repository', name: 'dev/app', actions: ['pull', 'push'] }]);
  });

  it('refuses an OAuth2 password grant with a wrong password with 401 (helm login)', async () => {
    const res = await post({ grant_type: 'password', username: 'alice', password: 'Wr0ng-pw-9', service: 'it-registry', client_id: 'oras-go' });
    expect(res.status).toBe(401);
  });

  it('exchanges a refresh token, with repeated scope fields (containers/image)', async () => {
    const login = (await (
      await post({ grant_type: 'password', username: 'alice', password: users.alice, service: 'it-registry', client_id: 'x', access_type: 'offline' })
    ).json()) as { refresh_token: string };
    const res = await post({
      grant_type: 'refresh_token',
      refresh_token: login.refresh_token,
      service: 'it-registry',
      client_id: 'containers/image',
      scope: ['repository:dev/a:pull', 'repository:dev/b:push'],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(body).not.toHaveProperty('refresh_token');
    expect(claimsOf(body.access_token)).toMatchObject({
      sub: 'alice',
      access: [
        { type: 'repository', name: 'dev/a', actions: ['pull'] },
        { type: 'repository', name: 'dev/b', actions: ['push'] },
      ],
    });
  });

  it('refuses a refresh token presented for another service', async () => {
    const login = (await (
      await post({ grant_type: 'password', username: 'alice', password: users.alice, service: 'it-registry', client_id: 'x', access_type: 'offline' })
    ).json()) as { refresh_token: string };
    expect((await post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: 'other-registry', client_id: 'x' })).status).toBe(401);
  });

  it('refuses an unknown refresh token with 401', async () => {
    expect((await post({ grant_type: 'refresh_token', refresh_token: 'garbage', service: 'it-registry', client_id: 'x' })).status).toBe(401);
  });

  it('refuses an access token used as a refresh token', async () => {
    const body = (await (await get('service=it-registry', basic('bob', users.bob))).json()) as { token: string };
    expect((await post({ grant_type: 'refresh_token', refresh_token: body.token, service: 'it-registry', client_id: 'x' })).status).toBe(401);
  });

  it('answers 400 for a POST whose body is not a form', async () => {
    const res = await fetch(`${endpoint.sut.url}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: 'bob', password: users.bob, service: 'it-registry' }),
    });
    expect(res.status).toBe(400);
  });

  it('answers 400 unsupported_grant_type for other grants', async () => {
    const res = await post({ grant_type: 'client_credentials', service: 'it-registry', client_id: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('accepts a POST with Basic credentials and no username field (docker_auth behaviour)', async () => {
    const res = await post({ grant_type: 'password', service: 'it-registry', client_id: 'x' }, { auth: basic('bob', users.bob) });
    expect(res.status).toBe(200);
  });

  it('refuses the refresh token of a user removed from the config after a reload', async () => {
    const login = (await (await get('offline_token=true&service=it-registry', basic('bob', users.bob))).json()) as { refresh_token: string };
    writeConfig(endpoint.dir, false);
    await endpoint.sut.reload();
    try {
      expect((await post({ grant_type: 'refresh_token', refresh_token: login.refresh_token, service: 'it-registry', client_id: 'x' })).status).toBe(401);
    } finally {
      writeConfig(endpoint.dir, true);
      await endpoint.sut.reload();
    }
  });
});
