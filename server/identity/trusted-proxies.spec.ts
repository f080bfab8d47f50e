import { TrustedProxies } from './trusted-proxies';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['10.200.3.4', true],
    ['fd12::1', true],
    ['127.0.0.2', false],
    ['11.0.0.1', false],
    ['::1', false],
    ['fe80::1', false],
    [undefined, false],
  ])('%s trusted: %s', (peer, expected) => {
    expect(proxies.has(peer)).toBe(expected);
  });

  it('trusts nobody when the list is empty', () => {
    expect(new TrustedProxies([]).has('127.0.0.1')).toBe(false);
  });
});
