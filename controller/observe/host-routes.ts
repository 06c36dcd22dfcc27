// Routes of a host's network namespace, from its /proc/net/route and /proc/net/ipv6_route.

export interface HostRoute {
  to: string;
  dev: string;
}

/**
 * `cat /proc/net/route /proc/net/ipv6_route`: the first file (a header line, then one line per
 * route) and the second (no header: each line opens with a 32-digit hex address) one after the other.
 */
export function parseHostRoutes(text: string): HostRoute[] {
  const ipv6Start = text.search(/^[0-9a-f]{32} /m);
  if (ipv6Start < 0) return parseProcRoute(text);
  return [...parseProcRoute(text.slice(0, ipv6Start)), ...parseProcIpv6Route(text.slice(ipv6Start))];
}

/** /proc/net/route: destination and mask are little-endian hex. */
export function parseProcRoute(text: string): HostRoute[] {
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map((f) => {
      const dest = leHex(f[1]!);
      const mask = leHex(f[7]!);
      const prefix = mask.split(".").reduce((n, octet) => n + Number(octet).toString(2).split("").filter((b) => b === "1").length, 0);
      return { to: `${dest}/${prefix}`, dev: f[0]! };
    });
}

function leHex(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
}

/** /proc/net/ipv6_route: destination in hex, its prefix length in hex; multicast and link-local left out. */
export function parseProcIpv6Route(text: string): HostRoute[] {
  return text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => ({ to: `${f[0]!.match(/.{4}/g)!.join(":")}/${parseInt(f[1]!, 16)}`, dev: f[9]! }))
    .filter((r) => !r.to.startsWith("ff00") && !r.to.startsWith("fe80"));
}
