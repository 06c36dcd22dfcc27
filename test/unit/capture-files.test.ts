// zmqlab's own captures, read back: a ZeroMQ connection made by hand (SYN, greeting, READY, a
// message, a retransmission, FIN) as tcpdump's ring files would hold it on two networks, the
// analysis of it, the pcapng files with their marks, and the windows around a fault; and that
// tcpdump (and tshark, where installed) read what zmqlab writes.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { analyze, ringOrder, writeNetworkFile, writeWindows, markFrame, type NetworkRecording } from "../../controller/capture/files.js";
import { decodeFrame } from "../../controller/capture/packet.js";
import { readPackets, PacketReader } from "../../controller/capture/pcap.js";
import { countIn } from "../../controller/capture/connections.js";
import { greeting, message, ready, tcpFrame, writePcap, type FrameSpec } from "../support/frames.js";
import { scratchDir } from "../support/scratch.js";

const T0 = 1_800_000_000_000; // time 0, ms since the epoch
const CLIENT = "02:42:c6:12:01:0a";
const R1_CLIENTS = "02:42:c6:12:01:02";
const R1_SERVERS = "02:42:c6:12:02:02";
const SERVER = "02:42:c6:12:02:0a";

/** One segment of the conversation, as seen on both networks (clients first, then servers, 0.1 ms later). */
function both(ms: number, f: Omit<FrameSpec, "srcMac" | "dstMac">, fromClient: boolean) {
  return {
    clients: { ms: T0 + ms, data: tcpFrame({ ...f, srcMac: fromClient ? CLIENT : R1_CLIENTS, dstMac: fromClient ? R1_CLIENTS : CLIENT }) },
    servers: { ms: T0 + ms + 0.1, data: tcpFrame({ ...f, srcMac: fromClient ? R1_SERVERS : SERVER, dstMac: fromClient ? SERVER : R1_SERVERS }) },
  };
}

function conversation() {
  const c = { src: "198.18.1.10", dst: "198.18.2.10", srcPort: 40000, dstPort: 5556 };
  const s = { src: "198.18.2.10", dst: "198.18.1.10", srcPort: 5556, dstPort: 40000 };
  const cIsn = 1000;
  const sIsn = 0xfffffff0; // wraps: sequence arithmetic modulo 2^32
  const g = greeting();
  const r = ready("SUB");
  const m = message("q hello");
  const steps = [
    both(-500, { ...c, seq: cIsn, flags: ["syn"] }, true),
    both(-499, { ...s, seq: sIsn, ack: cIsn + 1, flags: ["syn", "ack"] }, false),
    both(-498, { ...c, seq: cIsn + 1, ack: sIsn + 1, flags: ["ack"] }, true),
    both(-497, { ...c, seq: cIsn + 1, flags: ["ack", "psh"], payload: g }, true),
    both(-496, { ...s, seq: sIsn + 1, flags: ["ack", "psh"], payload: greeting(true) }, false),
    both(-495, { ...c, seq: cIsn + 65, flags: ["ack", "psh"], payload: r }, true),
    both(-494, { ...s, seq: sIsn + 65, flags: ["ack", "psh"], payload: ready("PUB") }, false),
    both(10, { ...s, seq: sIsn + 65 + ready("PUB").length, flags: ["ack", "psh"], payload: m }, false),
    // The same message again a while later: a retransmission (seen on both networks: counted once per network, kept once).
    both(210, { ...s, seq: sIsn + 65 + ready("PUB").length, flags: ["ack", "psh"], payload: m }, false),
    both(900, { ...c, seq: cIsn + 65 + r.length, flags: ["fin", "ack"] }, true),
  ];
  return { clients: steps.map((x) => x.clients), servers: steps.map((x) => x.servers) };
}

function recordings(t: Test): { dir: string; recordings: NetworkRecording[] } {
  const dir = scratchDir("zmqlab-capture-test-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { clients, servers } = conversation();
  // A ring of two files, the later one first by name (pcap0 overwritten after pcap1 was).
  writePcap(join(dir, "clients.pcap1"), clients.slice(0, 5));
  writePcap(join(dir, "clients.pcap0"), clients.slice(5));
  writePcap(join(dir, "servers.pcap0"), servers);
  return {
    dir,
    recordings: [
      { network: "clients", interfaceName: "br-aaaa", files: [join(dir, "clients.pcap0"), join(dir, "clients.pcap1")] },
      { network: "servers", interfaceName: "br-bbbb", files: [join(dir, "servers.pcap0")] },
    ],
  };
}

t.test("a ring's files in the order they were written, by their first packet", async (t) => {
  const { dir } = recordings(t);
  t.same(ringOrder([join(dir, "clients.pcap0"), join(dir, "clients.pcap1"), join(dir, "missing.pcap2")]), [join(dir, "clients.pcap1"), join(dir, "clients.pcap0")]);
});

t.test("a frame's headers: MACs, addresses, ports, flags, payload", async (t) => {
  const frame = tcpFrame({ srcMac: CLIENT, dstMac: R1_CLIENTS, src: "198.18.1.10", dst: "198.18.2.10", srcPort: 40000, dstPort: 5556, seq: 7, flags: ["syn"] });
  const p = decodeFrame(frame, 1)!;
  t.match(p, { srcMac: CLIENT, dstMac: R1_CLIENTS, family: 4, src: "198.18.1.10", dst: "198.18.2.10", protocol: 6, tcp: { srcPort: 40000, dstPort: 5556, seq: 7, syn: true, ack_: false, length: 0 } });
  const v6 = decodeFrame(tcpFrame({ src: "2001:2:0:1::10", dst: "2001:2:0:2::10", srcPort: 1, dstPort: 2, seq: 1, flags: ["ack"], payload: Buffer.from("ab") }), 1)!;
  t.match(v6, { family: 6, src: "2001:2:0:1::10", dst: "2001:2:0:2::10", tcp: { length: 2 } });
  t.equal(v6.tcp!.payload.toString(), "ab");
  t.equal(decodeFrame(markFrame("fault x"), 1), undefined, "a mark is no IP packet");
  t.equal(decodeFrame(Buffer.alloc(10), 1), undefined, "a frame cut short");
});

t.test("the analysis: the connection's SYN, greeting, READY, first message, retransmission and FIN, at their times", async (t) => {
  const { recordings: r } = recordings(t);
  const analysis = await analyze(r, T0);
  t.equal(analysis.connections.length, 1, "one connection, seen on two networks");
  const c = analysis.connections[0]!;
  t.same(c.client, { address: "198.18.1.10", port: 40000 });
  t.same(c.server, { address: "198.18.2.10", port: 5556 });
  t.same(c.networks, ["clients", "servers"]);
  t.equal(c.synMs, -500);
  t.equal(c.synAckMs, -499);
  t.equal(c.zmtp, true);
  t.match(c.clientSide, { version: "3.1", mechanism: "NULL", greetingMs: -497, readyMs: -495, socketType: "SUB" });
  t.match(c.serverSide, { version: "3.1", greetingMs: -496, readyMs: -494, socketType: "PUB", firstMessageMs: 10 });
  t.equal(c.clientSide.firstMessageMs, undefined, "the client sent no message");
  t.same(
    c.retransmissions.map((x) => [x.ms, x.from]),
    [
      [210, "server"],
      [210.1, "server"],
    ],
    "sent again: once on each network",
  );
  t.same(c.end, { kind: "fin", ms: 900, from: "client" });
  t.same(analysis.coverage["clients"], { packets: 10, firstMs: -500, lastMs: 900 });
  // What left r1 towards the server, by the frames on the servers network.
  const leaving = analysis.frames["servers"]!.get(`${R1_SERVERS}>${SERVER}|198.18.1.10>198.18.2.10`);
  t.equal(countIn(leaving, -1000, 1000), 5, "SYN, ACK, greeting, READY, FIN");
  t.equal(countIn(leaving, 0, 1000), 1);
  // Buckets are 10 ms wide: "touching" takes a bucket the window's edge cuts, "within" leaves it out.
  const one = new Map([[27, 1]]); // a packet between 270 and 280 ms
  t.equal(countIn(one, 275, 1000), 1, "touching: the bucket 270-280 counts for a window from 275");
  t.equal(countIn(one, 275, 1000, "within"), 0, "within: it does not");
  t.equal(countIn(one, 270, 280, "within"), 1, "within: a bucket the window holds whole");
  t.equal(countIn(one, 0, 275), 1);
  t.equal(countIn(one, 0, 279.9, "within"), 0);
});

t.test("a network's pcapng: every packet, and each mark at its time with its comment", async (t) => {
  const { dir, recordings: r } = recordings(t);
  const file = join(dir, "clients.pcapng");
  const written = await writeNetworkFile(
    r[0]!,
    file,
    [
      { ms: 0, text: "fault r1-down (stop r1) took effect at 0 ms" },
      { ms: 2000, text: "FAIL path ..." },
    ],
    T0,
  );
  t.equal(written.packets, 12);
  const back = readPackets(file);
  t.equal(back.packets.length, 12);
  const marks = back.packets.filter((p) => p.interface === 1);
  t.same(
    marks.map((m) => [Number(m.ns - BigInt(T0) * 1_000_000n) / 1e6, m.comment]),
    [
      [0, "zmqlab: fault r1-down (stop r1) took effect at 0 ms"],
      [2000, "zmqlab: FAIL path ..."],
    ],
  );
  t.ok(
    back.packets.every((p, i) => i === 0 || p.ns >= back.packets[i - 1]!.ns),
    "in time order",
  );
  const reader = new PacketReader(file);
  while (reader.next());
  t.equal(reader.interfaceCount, 2, "the network and zmqlab's marks");
  reader.close();
  tools(t, file, 12);
});

t.test("windows: every network's packets around a fault, in one file per fault", async (t) => {
  const { dir, recordings: r } = recordings(t);
  const [w] = await writeWindows(
    r,
    [{ fromMs: -1, toMs: 300, path: join(dir, "fault-x.pcapng") }],
    [
      { ms: 0, text: "fault x" },
      { ms: 5000, text: "outside" },
    ],
    T0,
  );
  // 10 ms and 210 ms on two networks, and the mark at 0.
  t.equal(w!.packets, 5);
  const back = readPackets(join(dir, "fault-x.pcapng"));
  t.same(
    back.packets.map((p) => p.interface),
    [2, 0, 1, 0, 1],
  );
  tools(t, join(dir, "fault-x.pcapng"), 5);
});

/** tcpdump (and tshark) read the file and count its packets, where they are installed. */
function tools(t: Test, file: string, packets: number): void {
  for (const [tool, argv] of [
    ["tcpdump", ["-n", "-r", file]],
    ["tshark", ["-n", "-r", file]],
  ] as const) {
    let out: string;
    try {
      out = execFileSync(tool, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        t.comment(`${tool} is not installed: not checked`);
        continue;
      }
      throw err;
    }
    // tcpdump adds a hex dump under a frame of an unknown type (a mark): count the lines with a time.
    t.equal(out.split("\n").filter((l) => /^\s*(\d+\s+[\d.]+|\d\d:\d\d:\d\d\.\d+) /.test(l)).length, packets, `${tool} reads ${packets} packets`);
  }
}
