import { BlockList, isIPv4 } from 'node:net';

/** The addresses TRUSTED_PROXY lists (IPs and CIDR ranges), matched against a TCP peer address. */
export class TrustedProxies {
  private readonly list = new BlockList();

  constructor(entries: string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(bits), type);
    }
  }

  has(peer: string | undefined): boolean {
    if (!peer) return false;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer);
    const address = mapped ? mapped[1] : peer;
    return this.list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }
}
