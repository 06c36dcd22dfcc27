// The two capture file formats, read and written here: classic pcap (what tcpdump writes, ring
// files included) and pcapng (what zmqlab hands over: several interfaces in one file, comments on
// packets). No npm package reads and writes both (pcap-parser reads classic pcap only; `pcap` is
// a libpcap binding that needs a compiler), and the formats are small: a header, then records.
// Reading is by chunks, so a capture of any size costs a chunk of memory, not its size.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

/** One captured frame: when (µs since the epoch, a bigint: ns precision does not fit a number), its bytes. */
export interface CapturedPacket {
  /** Time in ns since the Unix epoch. */
  ns: bigint;
  /** The bytes captured (at most the snap length). */
  data: Buffer;
  /** The frame's length on the wire. */
  length: number;
  /** pcapng: the interface it was captured on (0 for a classic pcap file). */
  interface: number;
  /** pcapng: the packet's comment, if any. */
  comment?: string;
}

/** A file's link layer and snap length (classic pcap: the global header; pcapng: its first interface). */
export interface LinkInfo {
  linkType: number;
  snapLength: number;
}

/** LINKTYPE_ETHERNET: what a Linux bridge or veth gives. */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_LINUX_SLL: what `tcpdump -i any` gives. */
export const LINKTYPE_LINUX_SLL = 113;

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;
const CHUNK = 1 << 20;

export class CaptureFormatError extends Error {}

/**
 * Reads a capture file's packets one at a time, in file order, a chunk of the file in memory at
 * once. Classic pcap (either byte order, µs or ns) and pcapng (enhanced and simple packet blocks;
 * other blocks skipped).
 */
export class PacketReader {
  private fd: number;
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private eof = false;
  private format: "pcap" | "pcapng" = "pcap";
  private little = true;
  private nano = false;
  /** pcapng: each interface's time resolution (units per second) and link type. */
  private interfaces: { unitsPerSecond: bigint; linkType: number; snapLength: number }[] = [];
  link: LinkInfo = { linkType: LINKTYPE_ETHERNET, snapLength: 262144 };

  constructor(readonly file: string) {
    this.fd = openSync(file, "r");
    try {
      this.readHeader();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** At least `n` bytes from the current offset, or false at the end of the file. */
  private want(n: number): boolean {
    if (this.buffer.length - this.offset >= n) return true;
    if (this.eof) return false;
    const rest = this.buffer.subarray(this.offset);
    const chunk = Buffer.alloc(Math.max(CHUNK, n));
    let filled = 0;
    while (filled < chunk.length) {
      const read = readSync(this.fd, chunk, filled, chunk.length - filled, null);
      if (read === 0) {
        this.eof = true;
        break;
      }
      filled += read;
    }
    this.buffer = Buffer.concat([rest, chunk.subarray(0, filled)]);
    this.offset = 0;
    return this.buffer.length >= n;
  }

  private u32(at: number): number {
    return this.little ? this.buffer.readUInt32LE(this.offset + at) : this.buffer.readUInt32BE(this.offset + at);
  }

  private u16(at: number): number {
    return this.little ? this.buffer.readUInt16LE(this.offset + at) : this.buffer.readUInt16BE(this.offset + at);
  }

  private readHeader(): void {
    if (!this.want(24)) throw new CaptureFormatError(`${this.file}: too short for a capture file`);
    const magicLE = this.buffer.readUInt32LE(0);
    const magicBE = this.buffer.readUInt32BE(0);
    if (magicLE === PCAPNG_SHB) {
      this.format = "pcapng";
      return;
    }
    if (magicLE === PCAP_MICRO || magicLE === PCAP_NANO) this.little = true;
    else if (magicBE === PCAP_MICRO || magicBE === PCAP_NANO) this.little = false;
    else throw new CaptureFormatError(`${this.file}: not a pcap or pcapng file`);
    this.nano = (this.little ? magicLE : magicBE) === PCAP_NANO;
    this.link = { snapLength: this.u32(16), linkType: this.u32(20) & 0xffff };
    this.offset = 24;
  }

  /** The next packet, or undefined at the end (a record cut short by a crash ends the file). */
  next(): CapturedPacket | undefined {
    return this.format === "pcap" ? this.nextPcap() : this.nextPcapng();
  }

  private nextPcap(): CapturedPacket | undefined {
    if (!this.want(16)) return undefined;
    const seconds = BigInt(this.u32(0));
    const fraction = BigInt(this.u32(4));
    const captured = this.u32(8);
    const length = this.u32(12);
    if (captured > 0x4000000) throw new CaptureFormatError(`${this.file}: a record of ${captured} bytes: the file is damaged`);
    if (!this.want(16 + captured)) return undefined;
    const data = this.buffer.subarray(this.offset + 16, this.offset + 16 + captured);
    this.offset += 16 + captured;
    return { ns: seconds * 1_000_000_000n + fraction * (this.nano ? 1n : 1000n), data, length, interface: 0 };
  }

  private nextPcapng(): CapturedPacket | undefined {
    for (;;) {
      if (!this.want(12)) return undefined;
      // A section header sets the byte order of what follows.
      if (this.buffer.readUInt32LE(this.offset) === PCAPNG_SHB) {
        const order = this.buffer.readUInt32LE(this.offset + 8);
        this.little = order === PCAPNG_BYTE_ORDER;
        if (!this.little && this.buffer.readUInt32BE(this.offset + 8) !== PCAPNG_BYTE_ORDER) throw new CaptureFormatError(`${this.file}: a section header with no byte-order magic`);
        this.interfaces = [];
      }
      const type = this.u32(0);
      const total = this.u32(4);
      if (total < 12 || total % 4 !== 0) throw new CaptureFormatError(`${this.file}: a block of ${total} bytes: the file is damaged`);
      if (!this.want(total)) return undefined;
      const block = this.offset;
      this.offset += total;
      if (type === 1) {
        const saved = this.offset;
        this.offset = block;
        const linkType = this.u16(8);
        const snapLength = this.u32(12);
        const options = readOptions(this.buffer.subarray(block + 16, block + total - 4), this.little);
        this.offset = saved;
        const tsresol = options.get(9)?.[0];
        const unitsPerSecond = tsresol === undefined ? 1_000_000n : tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
        this.interfaces.push({ unitsPerSecond, linkType, snapLength });
        if (this.interfaces.length === 1) this.link = { linkType, snapLength };
      } else if (type === 6) {
        const at = (n: number) => (this.little ? this.buffer.readUInt32LE(block + n) : this.buffer.readUInt32BE(block + n));
        const iface = at(8);
        const units = (BigInt(at(12)) << 32n) | BigInt(at(16));
        const captured = at(20);
        const length = at(24);
        const data = this.buffer.subarray(block + 28, block + 28 + captured);
        const options = readOptions(this.buffer.subarray(block + 28 + pad4(captured), block + total - 4), this.little);
        const perSecond = this.interfaces[iface]?.unitsPerSecond ?? 1_000_000n;
        const comment = options.get(1)?.toString("utf8");
        return { ns: (units * 1_000_000_000n) / perSecond, data, length, interface: iface, ...(comment !== undefined ? { comment } : {}) };
      } else if (type === 3) {
        const length = this.little ? this.buffer.readUInt32LE(block + 8) : this.buffer.readUInt32BE(block + 8);
        const captured = Math.min(length, total - 16);
        return { ns: 0n, data: this.buffer.subarray(block + 12, block + 12 + captured), length, interface: 0 };
      }
    }
  }

  /** pcapng: the interfaces' link types (a classic pcap file has one). */
  get interfaceCount(): number {
    return this.format === "pcapng" ? this.interfaces.length : 1;
  }
}

const pad4 = (n: number) => (n + 3) & ~3;

/** pcapng options: code -> value (the first of each code). */
function readOptions(bytes: Buffer, little: boolean): Map<number, Buffer> {
  const options = new Map<number, Buffer>();
  let at = 0;
  while (at + 4 <= bytes.length) {
    const code = little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at);
    const length = little ? bytes.readUInt16LE(at + 2) : bytes.readUInt16BE(at + 2);
    if (code === 0) break;
    if (!options.has(code)) options.set(code, bytes.subarray(at + 4, at + 4 + length));
    at += 4 + pad4(length);
  }
  return options;
}

/** Every packet of a file (for tests and small files: the reader keeps memory flat). */
export function readPackets(file: string): { link: LinkInfo; packets: CapturedPacket[] } {
  const reader = new PacketReader(file);
  try {
    const packets: CapturedPacket[] = [];
    for (let p = reader.next(); p; p = reader.next()) packets.push({ ...p, data: Buffer.from(p.data) });
    return { link: reader.link, packets };
  } finally {
    reader.close();
  }
}

/** The first packet's time of a capture file (ns), or undefined when it holds none. */
export function firstPacketTime(file: string): bigint | undefined {
  const reader = new PacketReader(file);
  try {
    return reader.next()?.ns;
  } finally {
    reader.close();
  }
}

/** One interface of a pcapng file: its link layer, name and description. */
export interface InterfaceSpec extends LinkInfo {
  name: string;
  description?: string;
}

function option(code: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(code, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad4(value.length) - value.length)]);
}

const END_OF_OPTIONS = Buffer.alloc(4);

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(total, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(total, 0);
  return Buffer.concat([head, body, tail]);
}

/**
 * Writes a pcapng file (little-endian, ns time stamps): a section header, the interfaces, then
 * packets as enhanced packet blocks, each with its comment if it has one. Buffered; `close()`
 * flushes and closes.
 */
export class PcapngWriter {
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  packets = 0;
  bytes = 0;

  constructor(
    readonly file: string,
    interfaces: InterfaceSpec[],
    application = "zmqlab",
  ) {
    this.fd = openSync(file, "w");
    const shb = Buffer.alloc(16);
    shb.writeUInt32LE(PCAPNG_BYTE_ORDER, 0);
    shb.writeUInt16LE(1, 4);
    shb.writeUInt16LE(0, 6);
    // Section length unknown (-1): the file is written as it goes.
    shb.writeInt32LE(-1, 8);
    shb.writeInt32LE(-1, 12);
    this.push(block(PCAPNG_SHB, Buffer.concat([shb, option(4, Buffer.from(application)), END_OF_OPTIONS])));
    for (const i of interfaces) {
      const idb = Buffer.alloc(8);
      idb.writeUInt16LE(i.linkType, 0);
      idb.writeUInt32LE(i.snapLength, 4);
      const options = [option(2, Buffer.from(i.name)), ...(i.description ? [option(3, Buffer.from(i.description))] : []), option(9, Buffer.from([9])), END_OF_OPTIONS];
      this.push(block(1, Buffer.concat([idb, ...options])));
    }
  }

  write(packet: Pick<CapturedPacket, "ns" | "data" | "length" | "comment"> & { interface?: number }): void {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(packet.interface ?? 0, 0);
    head.writeUInt32LE(Number(packet.ns >> 32n), 4);
    head.writeUInt32LE(Number(packet.ns & 0xffffffffn), 8);
    head.writeUInt32LE(packet.data.length, 12);
    head.writeUInt32LE(packet.length, 16);
    const padding = Buffer.alloc(pad4(packet.data.length) - packet.data.length);
    const options = packet.comment !== undefined ? [option(1, Buffer.from(packet.comment)), END_OF_OPTIONS] : [];
    this.push(block(6, Buffer.concat([head, packet.data, padding, ...options])));
    this.packets++;
  }

  private push(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.bytes += bytes.length;
    if (this.pendingBytes >= CHUNK) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const all = Buffer.concat(this.pending);
    let written = 0;
    while (written < all.length) written += writeSync(this.fd, all, written, all.length - written);
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** The classic pcap global header (µs, little-endian): what a live capture streams first. */
export function pcapHeader(link: LinkInfo): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_MICRO, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(link.snapLength, 16);
  header.writeUInt32LE(link.linkType, 20);
  return header;
}

/** One classic pcap record (µs). */
export function pcapRecord(packet: Pick<CapturedPacket, "ns" | "data" | "length">): Buffer {
  const head = Buffer.alloc(16);
  const micros = packet.ns / 1000n;
  head.writeUInt32LE(Number(micros / 1_000_000n), 0);
  head.writeUInt32LE(Number(micros % 1_000_000n), 4);
  head.writeUInt32LE(packet.data.length, 8);
  head.writeUInt32LE(packet.length, 12);
  return Buffer.concat([head, packet.data]);
}
