// Addresses and subnets as numbers, so that containment, overlap and ranges are plain arithmetic.
// Parsing and validity come from ip-cidr; the rest is bigint math. Addresses are spelled as
// shared/address.ts spells them (canonicalAddress), as the agent and the kernel's tools do.
import "./ip-address-interop.js"; // first: ip-cidr must find ip-address under every loader
import IPCIDR from "ip-cidr";
import { Address6, AddressError } from "ip-address";
import { canonicalAddress } from "../../shared/address.js";

export type Family = 4 | 6;

export interface Address {
  text: string;
  family: Family;
  value: bigint;
}

export interface Subnet {
  cidr: string;
  family: Family;
  prefix: number;
  first: bigint;
  last: bigint;
}

const bits = (family: Family): number => (family === 4 ? 32 : 128);

/**
 * Whether the IP libraries accept the text. Only their verdicts on the text mean "no": ip-address's
 * AddressError and ip-cidr's own plain Errors ("Invalid IPv4 address."). Anything else (a
 * TypeError: our bug, or a loader that broke the library) is thrown as it is, never reported
 * to the user as an invalid address.
 */
function accepted(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    if (error instanceof AddressError) return false;
    if (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype) return false;
    throw error;
  }
}

/** The IPv4-mapped IPv6 addresses, ::ffff:0:0/96: each is the IPv4 address in its last 32 bits. */
const MAPPED = 0xffffn;
const IPV4_BITS = 0xffffffffn;

/**
 * An address in any spelling; `text` is its one spelling (canonicalAddress's). An IPv4-mapped
 * address (::ffff:198.18.1.10) is the IPv4 address it maps, as the agent and the judges read it.
 */
export function parseAddress(text: string): Address | undefined {
  if (typeof text !== "string" || text.includes("/")) return undefined;
  if (text.includes(":")) {
    // Address6 directly: ip-cidr reads an IPv6 address with an embedded IPv4 part (64:ff9b::1.2.3.4)
    // as that IPv4 address and then throws on it.
    if (!accepted(() => new Address6(text))) return undefined;
    const value = BigInt(new Address6(text).bigInteger().toString());
    if (value >> 32n === MAPPED) return { text: formatAddress(value & IPV4_BITS, 4), family: 4, value: value & IPV4_BITS };
    return { text: formatAddress(value, 6), family: 6, value };
  }
  if (!accepted(() => IPCIDR.createAddress(text))) return undefined;
  const family: Family = 4;
  const cidr = new IPCIDR(`${text}/${bits(family)}`);
  return { text: formatAddress(BigInt(cidr.start({ type: "bigInteger" }) as bigint), family), family, value: BigInt(cidr.start({ type: "bigInteger" }) as bigint) };
}

/** A subnet, or a sentence saying why the text is not one. */
export function parseSubnet(text: string): Subnet | string {
  if (typeof text !== "string" || !text.includes("/")) return "is not in CIDR form (address/prefix)";
  if (!accepted(() => IPCIDR.createAddress(text))) return "is not a valid subnet";
  const [addr, prefixText] = text.split("/") as [string, string];
  const address = parseAddress(addr);
  if (!address) return "is not a valid subnet";
  if (address.family === 4 && addr.includes(":")) return "is IPv4-mapped IPv6 space (::ffff:0:0/96): write the IPv4 subnet";
  const prefix = Number(prefixText);
  const width = bits(address.family);
  const hostBits = BigInt(width - prefix);
  const first = (address.value >> hostBits) << hostBits;
  if (first !== address.value) {
    return `has host bits set (the network address is ${formatAddress(first, address.family)}/${prefix})`;
  }
  const last = first + (1n << hostBits) - 1n;
  return { cidr: `${formatAddress(first, address.family)}/${prefix}`, family: address.family, prefix, first, last };
}

export function contains(subnet: Subnet, address: Address): boolean {
  return subnet.family === address.family && address.value >= subnet.first && address.value <= subnet.last;
}

export function overlaps(a: Pick<Subnet, "family" | "first" | "last">, b: Pick<Subnet, "family" | "first" | "last">): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function formatAddress(value: bigint, family: Family): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return canonicalAddress(groups.join(":"));
}

/** The address Docker gives its bridge (the network's gateway): the first host address. */
export function gatewayOf(subnet: Subnet): Address {
  const value = subnet.first + 1n;
  return { text: formatAddress(value, subnet.family), family: subnet.family, value };
}

/**
 * The largest aligned block of the subnet that holds none of the given addresses: Docker's own
 * address allocation (the network's IPRange) is confined to it, away from every lab address.
 */
export function freeRange(subnet: Subnet, taken: Address[]): Subnet | undefined {
  const width = bits(subnet.family);
  for (let prefix = subnet.prefix + 1; prefix <= width - 2; prefix++) {
    const size = 1n << BigInt(width - prefix);
    // Prefer the top of the subnet: lab addresses are usually low.
    for (let first = subnet.last + 1n - size; first >= subnet.first; first -= size) {
      const last = first + size - 1n;
      // The block holding the network address is Docker's (its gateway). Blocks are at least
      // 4 addresses (prefix <= width - 2), so the top one holds usable addresses beside the broadcast.
      if (first === subnet.first) continue;
      if (taken.some((a) => a.value >= first && a.value <= last)) continue;
      return { cidr: `${formatAddress(first, subnet.family)}/${prefix}`, family: subnet.family, prefix, first, last };
    }
  }
  return undefined;
}
