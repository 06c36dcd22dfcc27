// Ethernet frames made by hand for the capture's tests: IPv4 or IPv6, TCP with flags and payload,
// and ZMTP greetings, commands and messages to put in them. And classic pcap files of them.
import { writeFileSync } from "node:fs";
import { pcapHeader, pcapRecord, LINKTYPE_ETHERNET } from "../../controller/capture/pcap.js";

export interface FrameSpec {
  srcMac?: string;
  dstMac?: string;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: ("syn" | "ack" | "fin" | "rst" | "psh")[];
  payload?: Buffer;
}

const macBytes = (mac: string) => Buffer.from(mac.split(":").map((x) => parseInt(x, 16)));

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined ? (tail ? tail.split(":") : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export function tcpFrame(f: FrameSpec): Buffer {
  const payload = f.payload ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(f.srcPort, 0);
  tcp.writeUInt16BE(f.dstPort, 2);
  tcp.writeUInt32BE(f.seq >>> 0, 4);
  tcp.writeUInt32BE((f.ack ?? 0) >>> 0, 8);
  tcp[12] = 5 << 4;
  const bits = { fin: 1, syn: 2, rst: 4, psh: 8, ack: 16 } as const;
  tcp[13] = f.flags.reduce((n, flag) => n | bits[flag], 0);
  tcp.writeUInt16BE(64240, 14);
  const v6 = f.src.includes(":");
  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(20 + payload.length, 4);
    ip[6] = 6;
    ip[7] = 64;
    ipv6Bytes(f.src).copy(ip, 8);
    ipv6Bytes(f.dst).copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip[8] = 64;
    ip[9] = 6;
    Buffer.from(f.src.split(".").map(Number)).copy(ip, 12);
    Buffer.from(f.dst.split(".").map(Number)).copy(ip, 16);
  }
  const eth = Buffer.concat([macBytes(f.dstMac ?? "02:42:00:00:00:02"), macBytes(f.srcMac ?? "02:42:00:00:00:01"), Buffer.from(v6 ? [0x86, 0xdd] : [0x08, 0x00])]);
  return Buffer.concat([eth, ip, tcp, payload]);
}

/** A ZMTP 3.1 greeting, NULL mechanism. */
export function greeting(asServer = false): Buffer {
  const b = Buffer.alloc(64);
  b[0] = 0xff;
  b[9] = 0x7f;
  b[10] = 3;
  b[11] = 1;
  b.write("NULL", 12, "latin1");
  b[32] = asServer ? 1 : 0;
  return b;
}

/** A READY command announcing a socket type. */
export function ready(socketType: string): Buffer {
  const name = Buffer.from("Socket-Type");
  const value = Buffer.from(socketType);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(value.length);
  const body = Buffer.concat([Buffer.from([5]), Buffer.from("READY"), Buffer.from([name.length]), name, len, value]);
  return Buffer.concat([Buffer.from([0x04, body.length]), body]);
}

/** A one-frame message. */
export function message(body: Buffer | string): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from([0x00, b.length]), b]);
}

/** A classic pcap file of frames at the given times (ms since the epoch). */
export function writePcap(file: string, frames: { ms: number; data: Buffer }[]): void {
  writeFileSync(
    file,
    Buffer.concat([
      pcapHeader({ linkType: LINKTYPE_ETHERNET, snapLength: 262144 }),
      ...frames.map((f) => pcapRecord({ ns: BigInt(Math.round(f.ms * 1000)) * 1000n, data: f.data, length: f.data.length })),
    ]),
  );
}
