import { ipRuleContains, parseClientIp, parseIpRule } from './ip.matcher.js';

const contains = (rule: string, client: string): boolean => {
  const r = parseIpRule(rule);
  const c = parseClientIp(client);
  if (r === null || c === null) throw new Error(`unparsable ${rule} / ${client}`);
  return ipRuleContains(r, c);
};

describe(parseIpRule.name, () => {
  it.each([
    '10.0.0.1',
    '10.0.0.0/8',
    '0.0.0.0/0',
    '192.168.1.77/32',
    '::1',
    '2001:db8::/32',
    '::/0',
    'fe80::1/128',
    '::ffff:10.0.0.1',
    '1:2:3:4:5:6:7::',
    '::1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4',
  ])('accepts %j', (text) => {
    expect(parseIpRule(text)).not.toBeNull();
  });

  it.each([
    '192.168.0.*',
    '10.0.0.0/33',
    '::/129',
    'registry.example.com',
    '',
    '10.0.0',
    '10.0.0.256',
    '010.0.0.1',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    'fe80::1%eth0',
    '12345::',
    '1.2.3.4::',
    ':1:2:3:4:5:6:7',
    ' 10.0.0.1',
  ])('rejects %j', (text) => {
    expect(parseIpRule(text)).toBeNull();
  });
});

describe(ipRuleContains.name, () => {
  it.each([
    ['10.0.0.1', '10.0.0.1', true],
    ['10.0.0.1', '10.0.0.2', false],
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.1.2.3/8', '10.9.9.9', true],
    ['192.168.0.0/23', '192.168.1.200', true],
    ['192.168.0.0/23', '192.168.2.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.1.2.3', '::ffff:10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '10.4.4.4', true],
    ['::ffff:10.1.2.3', '10.1.2.3', true],
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:db9::5', false],
    ['::1', '::1', true],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['::/0', '10.0.0.1', false],
    ['::/0', '::ffff:10.0.0.1', false],
    ['0.0.0.0/0', '::1', false],
  ])('%s contains %s: %s', (rule, client, expected) => {
    expect(contains(rule, client)).toBe(expected);
  });
});

describe(parseClientIp.name, () => {
  it('reads an IPv4-mapped IPv6 address as IPv4', () => {
    expect(parseClientIp('::ffff:127.0.0.1')).toEqual({ family: 4, bytes: new Uint8Array([127, 0, 0, 1]) });
  });

  it('returns null for something that is not an address', () => {
    expect(parseClientIp('unknown')).toBeNull();
  });
});
