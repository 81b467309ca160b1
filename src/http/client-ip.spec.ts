import { addressList } from '../common/address-list.js';
import { clientIp, type ClientIpInput } from './client-ip.js';

const proxies = addressList(['10.0.0.0/8']);
const input = (overrides: Partial<ClientIpInput>): ClientIpInput => ({
  peer: '192.0.2.7',
  resolved: '192.0.2.7',
  headers: {},
  realIpHeader: undefined,
  realIpPos: 0,
  realIpFrom: 'trusted_proxies',
  trustedProxy: proxies,
  ...overrides,
});

describe(clientIp.name, () => {
  it('uses the peer when nothing is forwarded', () => {
    expect(clientIp(input({}))).toEqual({ ok: true, ip: '192.0.2.7' });
  });

  it('ignores a real_ip_header sent by a client that is not a trusted proxy', () => {
    expect(clientIp(input({ realIpHeader: 'X-Real-IP', headers: { 'x-real-ip': '10.1.2.3' } }))).toEqual({ ok: true, ip: '192.0.2.7' });
  });

  it('believes real_ip_header from a trusted proxy, IPv4-mapped peers included', () => {
    const sut = clientIp(input({ peer: '::ffff:10.0.0.1', resolved: '::ffff:10.0.0.1', realIpHeader: 'X-Real-IP', headers: { 'x-real-ip': '198.51.100.4' } }));
    expect(sut).toEqual({ ok: true, ip: '198.51.100.4' });
  });

  it('believes real_ip_header from anyone with real_ip_from: any (docker_auth files)', () => {
    expect(clientIp(input({ realIpFrom: 'any', realIpHeader: 'X-Forwarded-For', headers: { 'x-forwarded-for': '10.0.0.5, 192.0.2.1' } }))).toEqual({
      ok: true,
      ip: '10.0.0.5',
    });
  });

  it('counts real_ip_pos from the end when negative', () => {
    const sut = clientIp(input({ realIpFrom: 'any', realIpHeader: 'X-Forwarded-For', realIpPos: -1, headers: { 'x-forwarded-for': '10.0.0.5, 192.0.2.1' } }));
    expect(sut).toEqual({ ok: true, ip: '192.0.2.1' });
  });

  it.each(['not-an-ip', '', '10.0.0.999'])('refuses a believed header holding %j instead of answering with no address', (value) => {
    expect(clientIp(input({ realIpFrom: 'any', realIpHeader: 'X-Real-IP', headers: { 'x-real-ip': value } })).ok).toBe(false);
  });

  it("refuses what Fastify resolved from a trusted proxy's X-Forwarded-For when it is not an address", () => {
    expect(clientIp(input({ peer: '10.0.0.1', resolved: 'garbage' })).ok).toBe(false);
  });

  it('has no address when the socket reports none', () => {
    expect(clientIp(input({ peer: undefined, resolved: undefined }))).toEqual({ ok: true, ip: null });
  });
});
