import { AxiosError } from 'axios';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { isSensitiveKey, redactDeep } from './log-redaction.js';

function logged(write: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  write(logger);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

describe(redactDeep.name, () => {
  it('masks sensitive keys at any depth and in any case, and leaves other fields alone', () => {
    const sut = redactDeep({
      a: { b: { c: { Password: 'p1', headers: { Authorization: 'Basic x', COOKIE: 'c', 'X-Auth-Token': 't' } } } },
      kid: 'k',
      jti: 'j',
      user: 'alice',
    });
    expect(sut).toEqual({
      a: { b: { c: { Password: '***', headers: { Authorization: '***', COOKIE: '***', 'X-Auth-Token': '***' } } } },
      kid: 'k',
      jti: 'j',
      user: 'alice',
    });
  });

  it('masks inside arrays and survives cycles and depth', () => {
    const cyclic: Record<string, unknown> = { list: [{ secret: 's' }] };
    cyclic.self = cyclic;
    expect(redactDeep(cyclic)).toEqual({ list: [{ secret: '***' }], self: '[circular]' });
  });

  it.each([
    'password',
    'bind_password',
    'client_secret',
    'refresh_token',
    'access_token',
    'token',
    'authorization',
    'proxy-authorization',
    'set-cookie',
    'private_key',
  ])('treats %s as sensitive', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each(['audit', 'kid', 'jti', 'account', 'password_hashing', 'tokens_issued', 'outcome'])('treats %s as plain', (key) => {
    expect(isSensitiveKey(key)).toBe(false);
  });
});

describe('logger redaction', () => {
  it('reduces an axios error to method, url without query and status: never its config, headers or body', () => {
    const err = new AxiosError('Request failed with status code 500', 'ERR_BAD_RESPONSE', {
      method: 'post',
      url: 'https://user:pw@auth.example.com/check?key=abc',
      headers: { Authorization: 'Bearer callback-token' } as never,
      data: '{"account":"alice","password":"s3cret-pw"}',
    } as never);
    Object.assign(err, { response: { status: 500, data: 'upstream said s3cret-pw' } });
    const line = logged((logger) => logger.error({ err, nested: { cause: err } }, 'callback failed'));

    const text = JSON.stringify(line);
    for (const leaked of ['s3cret-pw', 'callback-token', 'key=abc', 'user:pw']) expect(text).not.toContain(leaked);
    expect(line.err).toMatchObject({
      message: 'Request failed with status code 500',
      method: 'POST',
      url: 'https://auth.example.com/check',
      status: 500,
      code: 'ERR_BAD_RESPONSE',
    });
  });

  it('keeps an ordinary error readable (type, message, stack) while masking its sensitive fields', () => {
    const err = Object.assign(new Error('bind failed'), { password: 'pw-in-error', target: 'ldap://x' });
    const line = logged((logger) => logger.error({ err }, 'ldap'));
    expect(line.err).toMatchObject({ type: 'Error', message: 'bind failed', password: '***', target: 'ldap://x' });
    expect(String((line.err as { stack: string }).stack)).toContain('bind failed');
  });
});
