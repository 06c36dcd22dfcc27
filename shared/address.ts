// One spelling per IP address, so that an address compares equal as text wherever it comes from:
// the lab file (any spelling a user writes), libzmq's endpoints, /proc/net/tcp6, `ip -j` and nft.
// The agent, the lab, observation and the judges all spell addresses with this.
import { isIP, SocketAddress } from "node:net";

/**
 * IPv6 compressed and lower case as inet_ntop prints it (so as the kernel's tools print it:
 * `2001:0002:0000:0005:0000:0000:0000:0010` is `2001:2:0:5::10`), and an IPv4-mapped IPv6
 * address (`::ffff:198.18.1.10`: an IPv4 peer on a dual-stack socket) as the IPv4 address it is.
 * A zone (`%eth0`) is dropped. Anything that is not an IP address is returned unchanged.
 */
export function canonicalAddress(text: string): string {
  const family = isIP(text);
  if (family === 0) return text;
  const spelled = new SocketAddress({ address: text, family: family === 4 ? "ipv4" : "ipv6" }).address;
  // inet_ntop writes an IPv4-mapped address, and only that, as ::ffff: and dotted IPv4.
  return spelled.startsWith("::ffff:") ? spelled.slice("::ffff:".length) : spelled;
}
