// A captured frame's headers, as far as zmqlab reads them: Ethernet (or Linux cooked), IPv4 or
// IPv6, TCP. Pure: bytes in, fields out; anything else is `undefined` (ARP, OSPF, ICMP, a
// fragment, a frame cut too short).
import { canonicalAddress } from "../../shared/address.js";
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL } from "./pcap.js";

export interface IpPacket {
  /** MAC addresses (aa:bb:cc:dd:ee:ff) of an Ethernet frame; absent on a cooked capture. */
  srcMac?: string;
  dstMac?: string;
  family: 4 | 6;
  /** Canonical addresses (shared/address.ts). */
  src: string;
  dst: string;
  /** The IP protocol number (6: TCP). */
  protocol: number;
  tcp?: TcpSegment;
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  syn: boolean;
  ack_: boolean;
  fin: boolean;
  rst: boolean;
  /** The payload's length on the wire (the capture may hold less of it). */
  length: number;
  /** The payload bytes captured. */
  payload: Buffer;
}

const mac = (b: Buffer, at: number) => Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, "0")).join(":");

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function ipv6(b: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + i * 2).toString(16));
  return canonicalAddress(groups.join(":"));
}

/** The IP (and TCP) headers of a frame, or undefined when it carries no IP packet zmqlab reads. */
export function decodeFrame(data: Buffer, linkType: number): IpPacket | undefined {
  let at: number;
  let etherType: number;
  let macs: { srcMac?: string; dstMac?: string } = {};
  if (linkType === LINKTYPE_ETHERNET) {
    if (data.length < 14) return undefined;
    macs = { dstMac: mac(data, 0), srcMac: mac(data, 6) };
    etherType = data.readUInt16BE(12);
    at = 14;
    // 802.1Q tags (one or two).
    while ((etherType === 0x8100 || etherType === 0x88a8) && data.length >= at + 4) {
      etherType = data.readUInt16BE(at + 2);
      at += 4;
    }
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    if (data.length < 16) return undefined;
    etherType = data.readUInt16BE(14);
    at = 16;
  } else return undefined;
  if (etherType === 0x0800) return decodeIpv4(data, at, macs);
  if (etherType === 0x86dd) return decodeIpv6(data, at, macs);
  return undefined;
}

function decodeIpv4(b: Buffer, at: number, macs: { srcMac?: string; dstMac?: string }): IpPacket | undefined {
  if (b.length < at + 20 || b[at]! >> 4 !== 4) return undefined;
  const headerLength = (b[at]! & 0x0f) * 4;
  const total = b.readUInt16BE(at + 2);
  const fragment = b.readUInt16BE(at + 6);
  const protocol = b[at + 9]!;
  const packet: IpPacket = { ...macs, family: 4, src: ipv4(b, at + 12), dst: ipv4(b, at + 16), protocol };
  // A fragment after the first carries no TCP header.
  if (protocol !== 6 || (fragment & 0x1fff) !== 0) return packet;
  const tcp = decodeTcp(b, at + headerLength, at + total);
  return tcp ? { ...packet, tcp } : packet;
}

function decodeIpv6(b: Buffer, at: number, macs: { srcMac?: string; dstMac?: string }): IpPacket | undefined {
  if (b.length < at + 40 || b[at]! >> 4 !== 6) return undefined;
  const payloadLength = b.readUInt16BE(at + 4);
  const protocol = b[at + 6]!;
  const packet: IpPacket = { ...macs, family: 6, src: ipv6(b, at + 8), dst: ipv6(b, at + 24), protocol };
  if (protocol !== 6) return packet;
  const tcp = decodeTcp(b, at + 40, at + 40 + payloadLength);
  return tcp ? { ...packet, tcp } : packet;
}

/** `end`: where the IP packet ends on the wire (the capture may hold less of it). */
function decodeTcp(b: Buffer, at: number, end: number): TcpSegment | undefined {
  if (b.length < at + 20) return undefined;
  const offset = (b[at + 12]! >> 4) * 4;
  const flags = b[at + 13]!;
  const start = at + offset;
  // The payload's length by the IP header; a padded short frame (Ethernet's 60-byte minimum) has trailing zeros beyond it.
  const length = Math.max(0, end - start);
  const captured = Math.max(0, Math.min(b.length, end) - start);
  return {
    srcPort: b.readUInt16BE(at),
    dstPort: b.readUInt16BE(at + 2),
    seq: b.readUInt32BE(at + 4),
    ack: b.readUInt32BE(at + 8),
    fin: (flags & 0x01) !== 0,
    syn: (flags & 0x02) !== 0,
    rst: (flags & 0x04) !== 0,
    ack_: (flags & 0x10) !== 0,
    length,
    payload: b.subarray(start, start + captured),
  };
}
