import { storeSchema } from './store.schema.js';

const issues = (input: unknown): string[] => {
  const parsed = storeSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('store settings', () => {
  it('keep state in memory when nothing is said', () => {
    expect(storeSchema.parse(undefined)).toEqual({ type: 'memory' });
  });

  it('fill the defaults of a Redis store', () => {
    expect(storeSchema.parse({ type: 'redis', url: 'rediss://redis.example.com:6380/2' })).toEqual({
      type: 'redis',
      url: 'rediss://redis.example.com:6380/2',
      key_prefix: 'regauth:',
      connect_timeout: 2000,
      command_timeout: 250,
    });
  });

  it('accept an IPv6 host', () => {
    expect(issues({ type: 'redis', url: 'redis://[::1]:6379' })).toEqual([]);
  });

  it('refuse a password in the URL, which is logged', () => {
    expect(issues({ type: 'redis', url: 'redis://:secret@redis:6379' })).toEqual([
      'url: expected redis://host[:port][/db] or rediss://… (TLS), with no user or password (use username and password)',
    ]);
  });

  it('refuse another scheme, an unknown key and a command timeout too short to mean anything', () => {
    expect(issues({ type: 'redis', url: 'http://redis:6379', command_timeout: '1ms', database: 2 })).toHaveLength(3);
  });
});
