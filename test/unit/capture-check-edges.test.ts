// The capture check's edges, each pinned: which connections count for a sourceSeen (answered by
// the server, on the endpoint's binds, within its phase), which frames count for a path (leaving
// the router by its MAC, within the phase with its slack), what is not judged (no MAC known,
// counters unavailable), and the exact words and numbers of a failure.
import t from "tap";
import { CaptureAnalyzer } from "../../controller/capture/connections.js";
import { decodeFrame } from "../../controller/capture/packet.js";
import { captureFailures, EDGE_MS, type CaptureObservation } from "../../controller/expect/capture.js";
import type { ExpectationResult, Observations } from "../../controller/expect/index.js";
import { endpoint, observations, peer } from "./expect-cases.js";
import { greeting, tcpFrame } from "../support/frames.js";

const MACS = { r1: { clients: "02:00:00:00:01:02", servers: "02:00:00:00:02:02" }, r2: { clients: "02:00:00:00:01:03", servers: "02:00:00:00:02:03" } };

interface Conn {
  src: string;
  dst: string;
  port: number;
  dstPort?: number;
  at: number;
  synAck?: boolean;
  syn?: boolean;
  greet?: boolean;
}

/** A capture that began before the traffic (at -2000 ms, its first packet no TCP one). */
function analyzer(): CaptureAnalyzer {
  const a = new CaptureAnalyzer();
  a.add("servers", -2000, undefined);
  return a;
}

/** A connection's opening as seen on the servers network (through r1). */
function open(a: CaptureAnalyzer, c: Conn): void {
  const out = { src: c.src, dst: c.dst, srcPort: c.port, dstPort: c.dstPort ?? 5556, srcMac: MACS.r1.servers, dstMac: "02:00:00:00:02:0a" };
  const back = { src: c.dst, dst: c.src, srcPort: c.dstPort ?? 5556, dstPort: c.port, srcMac: "02:00:00:00:02:0a", dstMac: MACS.r1.servers };
  if (c.syn !== false) a.add("servers", c.at, decodeFrame(tcpFrame({ ...out, seq: 10, flags: ["syn"] }), 1));
  if (c.synAck !== false && c.syn !== false) a.add("servers", c.at + 1, decodeFrame(tcpFrame({ ...back, seq: 90, ack: 11, flags: ["syn", "ack"] }), 1));
  if (c.greet) a.add("servers", c.at + 2, decodeFrame(tcpFrame({ ...back, seq: 91, flags: ["ack", "psh"], payload: greeting(true) }), 1));
}

const capture = (a: CaptureAnalyzer, macs: CaptureObservation["macs"] = MACS, start = -1000): CaptureObservation => ({ analysis: a.result(), macs, trafficMs: { start, end: 5000 }, problems: [] });

const sourceSeenResult = (seen: string[], spec: Record<string, unknown> = {}, evidence: Record<string, unknown> = {}): ExpectationResult => ({
  kind: "sourceSeen",
  description: "connections to quotes come from somewhere",
  ok: true,
  expected: "",
  observed: "",
  message: "",
  spec: { endpoint: "quotes", source: seen, ...spec },
  evidence: { seen, ...evidence },
});

function withQuotes(a: CaptureAnalyzer, bind: string[], extra: Partial<Observations> = {}): Observations {
  const quotes = endpoint("quotes", "server", { socket: "pub", bind, peers: [peer("198.18.1.10")] });
  return { ...observations([quotes], {}, { server: ["198.18.2.10", "198.18.2.11", "2001:2::10"] }), capture: capture(a), ...extra };
}

t.test("a sourceSeen failure, word for word", async (t) => {
  const a = analyzer();
  open(a, { src: "198.18.1.12", dst: "198.18.2.10", port: 40000, at: 0 });
  const [f] = captureFailures([sourceSeenResult(["198.18.1.10"])], withQuotes(a, ["tcp://198.18.2.10:5556"]));
  t.same(f, {
    kind: "capture",
    description: "the packets agree with expectation 1 (connections to quotes come from somewhere)",
    ok: false,
    expected: "the packets agree with the kernels and counters",
    observed: "kernel: 198.18.1.10; packets: 198.18.1.12",
    message:
      "capture disagrees with expectation 1 (sourceSeen): the kernel of server showed 198.18.1.10, whose connections the packets do not show; the packets show connections from 198.18.1.12 to 198.18.2.10:5556 that the kernel of server did not show",
    spec: { expectation: 1, kind: "sourceSeen" },
    evidence: { kernel: ["198.18.1.10"], packets: ["198.18.1.12"], missing: ["198.18.1.10"], extra: ["198.18.1.12"], ends: ["198.18.2.10:5556"] },
  });
  const none = captureFailures([sourceSeenResult([])], withQuotes(analyzer(), ["tcp://198.18.2.10:5556"]));
  t.same(none, [], "neither the kernel nor the packets saw a connection: they agree");
  const onlyKernel = captureFailures([sourceSeenResult(["198.18.1.10"])], withQuotes(analyzer(), ["tcp://198.18.2.10:5556"]));
  t.equal(onlyKernel[0]!.observed, "kernel: 198.18.1.10; packets: none");
  t.equal(onlyKernel[0]!.message, "capture disagrees with expectation 1 (sourceSeen): the kernel of server showed 198.18.1.10, whose connections the packets do not show");
  const onlyPackets = captureFailures([sourceSeenResult([])], withQuotes(a, ["tcp://198.18.2.10:5556"]));
  t.equal(onlyPackets[0]!.observed, "kernel: none; packets: 198.18.1.12");
});

t.test("which connections count for a sourceSeen", async (t) => {
  const judge = (conns: Conn[], bind = ["tcp://198.18.2.10:5556"], spec: Record<string, unknown> = {}, evidence: Record<string, unknown> = {}) => {
    const a = analyzer();
    conns.forEach((c) => open(a, c));
    return captureFailures([sourceSeenResult(["198.18.1.10"], spec, evidence)], withQuotes(a, bind));
  };
  const ten = { src: "198.18.1.10", dst: "198.18.2.10", port: 40000, at: 0 };
  t.same(judge([ten]), [], "answered by the server: counted");
  t.equal(judge([{ ...ten, synAck: false }]).length, 1, "a SYN the server never answered (refused, filtered) is no connection");
  t.same(judge([{ ...ten, syn: false, greet: true }]), [], "begun before the capture, the server's greeting shows it");
  t.equal(judge([{ ...ten, syn: false }]).length, 1, "begun before the capture, nothing from the server: not counted");
  t.equal(judge([{ ...ten, dst: "198.18.2.11" }]).length, 1, "to another address of the node than the bind's: not this endpoint's");
  t.equal(judge([{ ...ten, dstPort: 5557 }]).length, 1, "to another port: not this endpoint's");
  t.same(judge([{ ...ten, dst: "198.18.2.11" }], ["tcp://*:5556"]), [], "a wildcard bind: any address of the node");
  t.same(judge([{ ...ten, dst: "198.18.2.11" }], ["tcp://0.0.0.0:5556"]), [], "0.0.0.0 too");
  t.same(judge([{ ...ten, dst: "198.18.2.11" }], ["tcp://eth0:5556"]), [], "an interface name too");
  t.same(judge([{ ...ten, src: "2001:1::10", dst: "2001:2::10" }], ["tcp://[2001:2::10]:5556"], {}, { seen: ["2001:1::10"] }), [], "IPv6");
  t.same(judge([ten, { ...ten, src: "198.18.1.12", dstPort: 7000 }], ["tcp://198.18.2.10:5556", "tcp://198.18.2.10:7000"], { bind: 5556 }), [], "with bind: the other bind's peers do not count");
  t.equal(judge([ten, { ...ten, src: "198.18.1.12", dstPort: 7000 }], ["tcp://198.18.2.10:5556", "tcp://198.18.2.10:7000"]).length, 1, "without bind they do");
  // A phase: connections answered within it, give or take the slack.
  const phase = { phase: { start: 1000, end: 2000 } };
  const at = (ms: number) => judge([{ ...ten, at: ms - 1 }], undefined, {}, { seen: ["198.18.1.10"], ...phase });
  t.same(at(1000 - EDGE_MS), [], "at the slack's edge before: in");
  t.equal(at(1000 - EDGE_MS - 1).length, 1, "before it: out");
  t.same(at(2000 + EDGE_MS), [], "at the slack's edge after: in");
  t.equal(at(2000 + EDGE_MS + 1).length, 1, "after it: out");
  t.equal(judge([{ ...ten, at: -5000 }], undefined, {}, { seen: ["198.18.1.10"], phase: { end: 2000 } }).length, 0, "before a fault: from the start");
  t.equal(judge([{ ...ten, at: 4000 }], undefined, {}, { seen: ["198.18.1.10"], phase: { start: 1000 } }).length, 0, "after a fault: to the end");
});

t.test("what a sourceSeen check cannot judge: no such endpoint, no bind, no kernel verdict; a ring that lost its start hides missing sources only", async (t) => {
  const a = new CaptureAnalyzer();
  // This capture begins at 0 ms: after the traffic's start (-1000, or -2000 below).
  open(a, { src: "198.18.1.12", dst: "198.18.2.10", port: 40000, at: 0 });
  t.same(captureFailures([sourceSeenResult(["198.18.1.10"], { endpoint: "nobody" })], withQuotes(a, ["tcp://198.18.2.10:5556"])), []);
  t.same(captureFailures([sourceSeenResult(["198.18.1.10"])], withQuotes(a, [])), [], "binds nothing");
  t.same(captureFailures([{ ...sourceSeenResult([]), evidence: {} }], withQuotes(a, ["tcp://198.18.2.10:5556"])), [], "no kernel view in the verdict");
  const late = (seen: string[]) => captureFailures([sourceSeenResult(seen)], withQuotes(a, ["tcp://198.18.2.10:5556"]));
  t.same(late(["198.18.1.10", "198.18.1.12"]), [], "the capture begins after the traffic: a source it lacks may be in what it lost");
  t.equal(late([]).length, 1, "but a source only the packets show is still a disagreement");
});

const pathResult = (packets: Record<string, number>, evidence: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): ExpectationResult => ({
  kind: "path",
  description: "198.18.1.10 -> 198.18.2.10 crosses r1, not r2",
  ok: true,
  expected: "",
  observed: "",
  message: "",
  spec: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2", ...spec },
  evidence: { packets, destinations: ["198.18.2.10"], ...evidence },
});

/** Frames from .10 to the server: leaving r1 (or r2) on servers at the given times, and entering it on clients. */
function forwarded(router: "r1" | "r2", times: number[], entering = true): CaptureAnalyzer {
  const a = new CaptureAnalyzer();
  a.add("clients", -1000, undefined);
  a.add("servers", -1000, undefined);
  for (const ms of times) {
    if (entering)
      a.add(
        "clients",
        ms,
        decodeFrame(tcpFrame({ src: "198.18.1.10", dst: "198.18.2.10", srcPort: 1, dstPort: 2, seq: ms, flags: ["ack"], srcMac: "02:00:00:00:01:0a", dstMac: MACS[router].clients }), 1),
      );
    a.add(
      "servers",
      ms,
      decodeFrame(tcpFrame({ src: "198.18.1.10", dst: "198.18.2.10", srcPort: 1, dstPort: 2, seq: ms, flags: ["ack"], srcMac: MACS[router].servers, dstMac: "02:00:00:00:02:0a" }), 1),
    );
  }
  return a;
}

const pathCheck = (a: CaptureAnalyzer, result: ExpectationResult, macs: CaptureObservation["macs"] = MACS) => captureFailures([result], { ...observations([]), capture: capture(a, macs) });

t.test("a path failure, word for word", async (t) => {
  const [f] = pathCheck(forwarded("r2", [100, 200, 300]), pathResult({ r1: 3, r2: 0 }));
  t.same(f, {
    kind: "capture",
    description: "the packets agree with expectation 1 (198.18.1.10 -> 198.18.2.10 crosses r1, not r2)",
    ok: false,
    expected: "the packets agree with the kernels and counters",
    observed: "r1: counters 3, frames leaving 0, r2: counters 0, frames leaving 3",
    message:
      "capture disagrees with expectation 1 (path): r1's counters showed 3 packets, but no frame from 198.18.1.10 entered or left r1 in the capture; r2's counters showed 0 packets, but the capture shows 3 frames from 198.18.1.10 leaving r2",
    spec: { expectation: 1, kind: "path" },
    evidence: {
      routers: { r1: { counters: 3, leaving: 0, entering: 0 }, r2: { counters: 0, leaving: 3, entering: 3 } },
      window: { start: -1000, end: 5000 },
      from: "198.18.1.10",
      destinations: ["198.18.2.10"],
      not: ["r2"],
    },
  });
  const [entered] = pathCheck(forwarded("r1", [100], true), pathResult({ r1: 0, r2: 1 }));
  t.equal(
    entered!.message,
    "capture disagrees with expectation 1 (path): r1's counters showed 0 packets, but the capture shows 1 frame from 198.18.1.10 leaving r1; r2's counters showed 1 packet, but no frame from 198.18.1.10 entered or left r2 in the capture",
    "each router's disagreement, in the counters' order; no frame entered r2, so nothing is said of entering",
  );
  const a = new CaptureAnalyzer();
  a.add("servers", -1000, undefined);
  a.add("clients", -1000, undefined);
  a.add("clients", 100, decodeFrame(tcpFrame({ src: "198.18.1.10", dst: "198.18.2.10", srcPort: 1, dstPort: 2, seq: 1, flags: ["ack"], srcMac: "02:00:00:00:01:0a", dstMac: MACS.r1.clients }), 1));
  t.same(
    pathCheck(a, pathResult({ r1: 1 })),
    [],
    "a frame that entered r1 and did not leave with its addresses: translated (NAT) or dropped after the counters; the packets cannot tell, so no accusation",
  );
});

t.test("which frames count for a path", async (t) => {
  t.same(pathCheck(forwarded("r1", [100]), pathResult({ r1: 1, r2: 0 })), [], "they agree");
  t.same(pathCheck(forwarded("r1", [100]), pathResult({ r1: 1, r2: 0 }, { destinations: ["198.18.2.99"] })).length, 1, "frames to another destination do not count");
  t.same(pathCheck(forwarded("r1", [100]), pathResult({ r1: 1, r2: 0 }, {}, { from: "198.18.1.99" })).length, 1, "nor from another source");
  t.same(pathCheck(forwarded("r1", [100]), pathResult({ r1: 1, r2: 0 }, { destinations: ["198.18.2.99", "198.18.2.10"] })), [], "a balancer's translated destinations count");
  const [unknown] = pathCheck(forwarded("r2", [100]), pathResult({ r1: 1, r2: 0 }), { r2: MACS.r2 });
  t.equal(
    unknown!.message,
    "capture disagrees with expectation 1 (path): r2's counters showed 0 packets, but the capture shows 1 frame from 198.18.1.10 leaving r2",
    "a router whose MAC is not known (r1) is not judged",
  );
  t.same(Object.keys(unknown!.evidence["routers"] as object), ["r2"]);
});

t.test("a phase and its slack; what a path check does not judge", async (t) => {
  const phase = (start: number | undefined, end: number | undefined) =>
    pathResult({ r1: 0 }, { phase: { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) } }, { not: undefined });
  t.same(pathCheck(forwarded("r1", [1000 + EDGE_MS - 1]), phase(1000, 3000)), [], "within the slack after the phase's start: not held against counters of 0");
  t.equal(pathCheck(forwarded("r1", [1000 + EDGE_MS + 10]), phase(1000, 3000)).length, 1, "past it: held");
  t.same(pathCheck(forwarded("r1", [3000 - EDGE_MS + 1]), phase(1000, 3000)), [], "within the slack before its end");
  t.same(pathCheck(forwarded("r1", [500]), phase(1000, 3000)), [], "before the phase");
  t.equal(pathCheck(forwarded("r1", [500]), phase(undefined, 3000)).length, 1, "before a fault: from the traffic's start");
  t.match(pathCheck(forwarded("r1", [500]), phase(undefined, 3000))[0], { spec: { expectation: 1, kind: "path", phase: { end: 3000 } }, evidence: { window: { start: -1000, end: 3000 } } });
  const counted = (ms: number) => pathCheck(forwarded("r1", [ms]), pathResult({ r1: 1 }, { phase: { start: 1000, end: 3000 } }, { not: undefined }));
  t.same(counted(1000 - EDGE_MS), [], "counters of 1: a frame within the slack before the start is taken");
  t.equal(counted(1000 - EDGE_MS - 10).length, 1, "one before the slack is not");
  t.same(counted(3000 + EDGE_MS), [], "within the slack after the end: taken");
  t.equal(counted(3000 + EDGE_MS + 10).length, 1, "past it: not");
  t.same(pathCheck(forwarded("r2", [100]), pathResult({ r1: 1, r2: 0 }, { unavailable: ["r1", "r2"] })), [], "counters unavailable: not judged");
  t.same(pathCheck(forwarded("r2", [100]), { ...pathResult({}), evidence: {} }), [], "no counters in the verdict");
  const late = forwarded("r2", [100]);
  t.same(captureFailures([pathResult({ r1: 1, r2: 0 })], { ...observations([]), capture: capture(late, MACS, -2000) }), [], "the capture began after the traffic: not judged");
});

t.test("only sourceSeen and path are cross-checked", async (t) => {
  const a = forwarded("r2", [100]);
  t.same(captureFailures([{ ...pathResult({ r1: 1, r2: 0 }), kind: "balanced" }], { ...observations([]), capture: capture(a) }), []);
});

t.test("a NAT on the way: the connection as it reached the endpoint's node counts", async (t) => {
  const syn = (a: CaptureAnalyzer, network: string, ms: number, src: string, sport: number, dst: string) => {
    a.add(network, ms, decodeFrame(tcpFrame({ src, dst, srcPort: sport, dstPort: 5556, seq: 10, flags: ["syn"] }), 1));
    a.add(network, ms + 1, decodeFrame(tcpFrame({ src: dst, dst: src, srcPort: 5556, dstPort: sport, seq: 90, ack: 11, flags: ["syn", "ack"] }), 1));
  };
  // A balancer's DNAT: the clients network shows the virtual address, the servers network the bind's.
  const dnat = new CaptureAnalyzer();
  dnat.add("clients", -2000, undefined);
  dnat.add("servers", -2000, undefined);
  syn(dnat, "clients", 0, "198.18.1.10", 40000, "198.18.1.100");
  syn(dnat, "servers", 0.1, "198.18.1.10", 40000, "198.18.2.10");
  const [one] = dnat.result().connections;
  t.same(one!.server, { address: "198.18.1.100", port: 5556 }, "one connection, by its SYN's sequence number, as first seen");
  t.same(one!.translated, [{ network: "servers", client: { address: "198.18.1.10", port: 40000 }, server: { address: "198.18.2.10", port: 5556 } }], "and as the servers network showed it");
  t.same(captureFailures([sourceSeenResult(["198.18.1.10"])], withQuotes(dnat, ["tcp://198.18.2.10:5556"])), [], "the backend's kernel and the packets agree");
  // A router's SNAT: the clients network shows the client, the servers network the router's address.
  const snat = new CaptureAnalyzer();
  snat.add("clients", -2000, undefined);
  snat.add("servers", -2000, undefined);
  syn(snat, "clients", 0, "198.18.1.10", 40000, "198.18.2.10");
  syn(snat, "servers", 0.1, "198.18.2.1", 50000, "198.18.2.10");
  const judged = (networks?: Record<string, string[]>) =>
    captureFailures([sourceSeenResult(["198.18.2.1"])], { ...withQuotes(snat, ["tcp://198.18.2.10:5556"]), capture: { ...capture(snat), ...(networks ? { networks } : {}) } });
  t.same(judged({ server: ["servers"], client: ["clients"] }), [], "only the server's own network is read: the router's address, as its kernel showed");
  t.match(judged()[0], { evidence: { packets: ["198.18.1.10", "198.18.2.1"], extra: ["198.18.1.10"] } }, "(read on every network, the client's own address would be an extra source)");
  t.match(judged({ server: ["clients"] })[0], { evidence: { packets: ["198.18.1.10"] } }, "the network decides");
});

t.test("a router whose MAC addresses the engine no longer shows (a fault stopped it) is not judged by the frames", async (t) => {
  const stopped = { ...MACS, r1: {} };
  t.same(pathCheck(forwarded("r2", [100]), pathResult({ r1: 3, r2: 0 }), stopped).length, 1, "r2's counters still disagree with its frames");
  t.same(pathCheck(new CaptureAnalyzer(), pathResult({ r1: 3 }), stopped), [], "r1 cannot be accused: no MAC to find its frames by");
});
