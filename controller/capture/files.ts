// From what the recorders left (a ring of classic pcap files per network) to what zmqlab hands
// over: the analysis of every network's packets, one pcapng file per network with a marked packet
// at each moment worth finding (a fault, a failed expectation), and one pcapng file per fault
// with every network's packets in a window around it. Files are read a chunk at a time.
import { statSync } from "node:fs";
import { CaptureAnalyzer, type CaptureAnalysis } from "./connections.js";
import { decodeFrame } from "./packet.js";
import { firstPacketTime, LINKTYPE_ETHERNET, PacketReader, PcapngWriter, type CapturedPacket, type InterfaceSpec, type LinkInfo } from "./pcap.js";

/** One network's recording: its ring files (any order), and the interface it was taken on. */
export interface NetworkRecording {
  network: string;
  /** The interface the recorder listened on (a bridge, `br-...`), for the file's interface name. */
  interfaceName: string;
  files: string[];
  /** A cluster host that recorded it (one recording per host that holds the network). */
  host?: string;
}

/** A moment to find in the capture: a fault, a failed expectation. */
export interface Mark {
  /** ms since time 0. */
  ms: number;
  text: string;
}

/** The ring's files in the order they were written (by their first packet), empty ones left out. */
export function ringOrder(files: string[]): string[] {
  const firsts = files.flatMap((file) => {
    try {
      if (statSync(file).size <= 24) return [];
      const first = firstPacketTime(file);
      return first === undefined ? [] : [{ file, first }];
    } catch {
      return [];
    }
  });
  return firsts.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0)).map((f) => f.file);
}

/** A network's packets in time order, across its ring files (each read a chunk at a time). */
export class RingReader {
  private readonly files: string[];
  private reader: PacketReader | undefined;
  private index = -1;
  link: LinkInfo = { linkType: LINKTYPE_ETHERNET, snapLength: 262144 };

  constructor(files: string[]) {
    this.files = ringOrder(files);
    this.open();
  }

  private open(): void {
    this.reader?.close();
    this.reader = undefined;
    while (++this.index < this.files.length) {
      try {
        this.reader = new PacketReader(this.files[this.index]!);
        if (this.index === 0) this.link = this.reader.link;
        return;
      } catch {
        // A damaged file (a recorder killed while writing its header): the others still count.
      }
    }
  }

  next(): CapturedPacket | undefined {
    while (this.reader) {
      let packet: CapturedPacket | undefined;
      try {
        packet = this.reader.next();
      } catch {
        packet = undefined;
      }
      if (packet) return packet;
      this.open();
    }
    return undefined;
  }

  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }
}

/** ns since the epoch of time 0 (report.clock.epochMs), to the µs: ms * 1e6 would not fit a number's 53 bits. */
export const epochNs = (epochMs: number): bigint => BigInt(Math.round(epochMs * 1000)) * 1000n;
const msSince = (ns: bigint, t0: bigint) => Number(ns - t0) / 1e6;

/** Lets the event loop breathe every so many packets: a long capture is read without freezing it. */
const YIELD_EVERY = 20_000;
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Read every network's packets into one analysis. */
export async function analyze(recordings: NetworkRecording[], t0EpochMs: number): Promise<CaptureAnalysis> {
  const t0 = epochNs(t0EpochMs);
  const analyzer = new CaptureAnalyzer();
  let n = 0;
  for (const r of recordings) {
    const reader = new RingReader(r.files);
    try {
      for (let p = reader.next(); p; p = reader.next()) {
        analyzer.add(r.network, msSince(p.ns, t0), decodeFrame(p.data, reader.link.linkType));
        if (++n % YIELD_EVERY === 0) await breathe();
      }
    } finally {
      reader.close();
    }
  }
  return analyzer.result();
}

/** The frame a mark travels in: Ethernet, from a locally administered address, the IEEE's local experimental type, its text as payload. */
export function markFrame(text: string): Buffer {
  const header = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x7a, 0x6d, 0x71, 0x6c, 0x62, 0x88, 0xb5]);
  return Buffer.concat([header, Buffer.from(`zmqlab: ${text}`)]);
}

const MARK_INTERFACE = (snapLength: number): InterfaceSpec => ({
  name: "zmqlab",
  description: "zmqlab's marks: faults and failed expectations, at their times",
  linkType: LINKTYPE_ETHERNET,
  snapLength,
});

/** Marks in time order as packets on their own interface, each with its text as the packet's comment too. */
function markPackets(marks: Mark[], t0: bigint, iface: number): (CapturedPacket & { interface: number })[] {
  return [...marks]
    .sort((a, b) => a.ms - b.ms)
    .map((m) => {
      const data = markFrame(m.text);
      return { ns: t0 + BigInt(Math.round(m.ms * 1e6)), data, length: data.length, interface: iface, comment: `zmqlab: ${m.text}` };
    });
}

/** What was written. */
export interface Written {
  packets: number;
  bytes: number;
}

/**
 * One network's capture as pcapng: its packets in order on interface 0, named after the network,
 * and each mark, at its time, as a packet with a comment on interface 1 (`zmqlab`). The marks'
 * link type is the capture's (Ethernet), so that tcpdump reads the file: libpcap takes one link
 * type per file.
 */
export async function writeNetworkFile(recording: NetworkRecording, path: string, marks: Mark[], t0EpochMs: number): Promise<Written> {
  const t0 = epochNs(t0EpochMs);
  const reader = new RingReader(recording.files);
  const link = reader.link;
  const writer = new PcapngWriter(path, [
    { ...link, name: recording.network, description: `lab network ${recording.network}, recorded on ${recording.interfaceName}${recording.host ? ` of host ${recording.host}` : ""}` },
    MARK_INTERFACE(link.snapLength),
  ]);
  const pending = markPackets(marks, t0, 1);
  let n = 0;
  try {
    for (let p = reader.next(); p; p = reader.next()) {
      while (pending.length && pending[0]!.ns <= p.ns) writer.write(pending.shift()!);
      writer.write({ ...p, interface: 0 });
      if (++n % YIELD_EVERY === 0) await breathe();
    }
    for (const m of pending) writer.write(m);
  } finally {
    reader.close();
    writer.close();
  }
  return { packets: writer.packets, bytes: writer.bytes };
}

/** A window of the capture around a moment: from, to (ms since time 0), where it goes. */
export interface Window {
  fromMs: number;
  toMs: number;
  path: string;
}

/**
 * Every network's packets within each window, merged in time order into one pcapng file per
 * window (one interface per network, then `zmqlab` for the marks within it). One pass over the
 * captures for all windows.
 */
export async function writeWindows(recordings: NetworkRecording[], windows: Window[], marks: Mark[], t0EpochMs: number): Promise<Written[]> {
  if (windows.length === 0) return [];
  const t0 = epochNs(t0EpochMs);
  const readers = recordings.map((r) => new RingReader(r.files));
  const snapLength = Math.max(...readers.map((r) => r.link.snapLength), 262144);
  const interfaces: InterfaceSpec[] = recordings.map((r, i) => ({
    ...readers[i]!.link,
    name: r.network,
    description: `lab network ${r.network}, recorded on ${r.interfaceName}${r.host ? ` of host ${r.host}` : ""}`,
  }));
  const markIface = recordings.length;
  const writers = windows.map((w) => new PcapngWriter(w.path, [...interfaces, MARK_INTERFACE(snapLength)]));
  const bounds = windows.map((w) => ({ from: t0 + BigInt(Math.round(w.fromMs * 1e6)), to: t0 + BigInt(Math.round(w.toMs * 1e6)) }));
  const pending = markPackets(marks, t0, markIface);
  const heads = readers.map((r) => r.next());
  const put = (p: CapturedPacket, iface: number) => bounds.forEach((b, i) => p.ns >= b.from && p.ns <= b.to && writers[i]!.write({ ...p, interface: iface }));
  let n = 0;
  try {
    for (;;) {
      let next = -1;
      heads.forEach((h, i) => {
        if (h && (next < 0 || h.ns < heads[next]!.ns)) next = i;
      });
      if (next < 0) break;
      const p = heads[next]!;
      while (pending.length && pending[0]!.ns <= p.ns) put(pending.shift()!, markIface);
      put(p, next);
      heads[next] = readers[next]!.next();
      if (++n % YIELD_EVERY === 0) await breathe();
    }
    for (const m of pending) put(m, markIface);
  } finally {
    readers.forEach((r) => r.close());
    writers.forEach((w) => w.close());
  }
  return writers.map((w) => ({ packets: w.packets, bytes: w.bytes }));
}
