// The built-in `capture` check: the packets must agree with what the kernels and counters showed.
// The flagship's two connections, made by hand as frames on both networks (client -> r1 or r2 ->
// server), read by the analyzer; then the expectations judged as the run judges them, and the
// check must hold when they agree and fail, naming what disagrees, when a kernel or a counter
// said something else than the packets.
import t from "tap";
import { CaptureAnalyzer } from "../../controller/capture/connections.js";
import { decodeFrame } from "../../controller/capture/packet.js";
import { captureFailures, type CaptureObservation } from "../../controller/expect/capture.js";
import { evaluate, type Observations } from "../../controller/expect/index.js";
import { verdictLine } from "../../controller/report/expectations-text.js";
import type { ExpectationSpec } from "../../controller/lab/types.js";
import { endpoint, flow, observations, peer } from "./expect-cases.js";
import { greeting, ready, tcpFrame } from "../support/frames.js";

const MAC = {
  client: { clients: "02:42:c6:12:01:0a" },
  r1: { clients: "02:42:c6:12:01:02", servers: "02:42:c6:12:02:02" },
  r2: { clients: "02:42:c6:12:01:03", servers: "02:42:c6:12:02:03" },
  server: { servers: "02:42:c6:12:02:0a" },
};

/** A connection from `source` to the server through `router`: handshake, ZMTP greetings, data from 0 ms to 900 ms. */
function connect(analyzer: CaptureAnalyzer, source: string, port: number, router: "r1" | "r2", at = -300): void {
  const r = MAC[router];
  const send = (ms: number, fromClient: boolean, flags: ("syn" | "ack" | "psh")[], seq: number, payload?: Buffer) => {
    const base = fromClient ? { src: source, dst: "198.18.2.10", srcPort: port, dstPort: 5556 } : { src: "198.18.2.10", dst: source, srcPort: 5556, dstPort: port };
    const hops = fromClient
      ? [
          ["clients", MAC.client.clients, r.clients],
          ["servers", r.servers, MAC.server.servers],
        ]
      : [
          ["servers", MAC.server.servers, r.servers],
          ["clients", r.clients, MAC.client.clients],
        ];
    for (const [network, srcMac, dstMac] of hops) analyzer.add(network!, ms, decodeFrame(tcpFrame({ ...base, srcMac, dstMac, seq, flags, ...(payload ? { payload } : {}) }), 1));
  };
  send(at, true, ["syn"], 100);
  send(at + 1, false, ["syn", "ack"], 500);
  send(at + 2, true, ["ack", "psh"], 101, greeting());
  send(at + 3, false, ["ack", "psh"], 501, greeting(true));
  send(at + 4, true, ["ack", "psh"], 165, ready("SUB"));
  for (let ms = 0, seq = 565; ms <= 900; ms += 100, seq += 10) send(ms, false, ["ack", "psh"], seq, Buffer.alloc(10));
  for (let ms = 50; ms <= 900; ms += 100) send(ms, true, ["ack"], 200);
}

const LAB: ExpectationSpec[] = [
  { sourceSeen: { endpoint: "quotes", source: ["198.18.1.10", "198.18.1.11"], only: true } },
  { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2" } },
  { path: { from: "198.18.1.11", to: "198.18.2.10", via: "r2", not: "r1" } },
];

/** The flagship's observations: the kernel's peers and the routers' counters as given, the capture of the packets as made. */
function run(o: { peers: string[]; r1: Record<string, number>; r2: Record<string, number>; capture: CaptureAnalyzer; start?: number }): Observations {
  const quotes = endpoint("quotes", "server", { socket: "pub", bind: ["tcp://198.18.2.10:5556"], peers: o.peers.map((a) => peer(a)) });
  const flows = {
    r1: Object.entries(o.r1).map(([from, n]) => flow(from, "198.18.2.10", n)),
    r2: Object.entries(o.r2).map(([from, n]) => flow(from, "198.18.2.10", n)),
  };
  const base = observations([quotes], flows, { server: ["198.18.2.10", "198.18.2.11"], r1: ["198.18.1.2", "198.18.2.2"], r2: ["198.18.1.3", "198.18.2.3"] });
  const capture: CaptureObservation = { analysis: o.capture.result(), macs: MAC, trafficMs: { start: o.start ?? -200, end: 1000 }, problems: [] };
  return { ...base, capture };
}

const judged = (o: Observations) => {
  const results = evaluate(LAB, o);
  return { results, failures: captureFailures(results, o) };
};

t.test("the packets agree with the kernel and the counters: no capture check in the report", async (t) => {
  const capture = new CaptureAnalyzer();
  connect(capture, "198.18.1.10", 40000, "r1");
  connect(capture, "198.18.1.11", 40001, "r2");
  const { results, failures } = judged(run({ peers: ["198.18.1.10", "198.18.1.11"], r1: { "198.18.1.10": 30 }, r2: { "198.18.1.11": 30 }, capture }));
  t.ok(
    results.every((r) => r.ok),
    "the expectations hold",
  );
  t.same(failures, []);
});

t.test("a kernel peer no SYN came from, and a SYN the kernel did not show: the capture check fails, naming both", async (t) => {
  const capture = new CaptureAnalyzer();
  connect(capture, "198.18.1.10", 40000, "r1");
  connect(capture, "198.18.1.12", 40002, "r2");
  // The kernel (a wrong reading) says .10 and .11; the packets say .10 and .12.
  const o = run({ peers: ["198.18.1.10", "198.18.1.11"], r1: { "198.18.1.10": 30 }, r2: { "198.18.1.12": 30 }, capture });
  const { results, failures } = judged(o);
  t.ok(results[0]!.ok, "sourceSeen holds by the kernel's word");
  t.equal(failures.length, 1);
  t.match(failures[0], {
    kind: "capture",
    ok: false,
    description: "the packets agree with expectation 1 (connections to quotes come only from 198.18.1.10 and 198.18.1.11)",
    observed: "kernel: 198.18.1.10, 198.18.1.11; packets: 198.18.1.10, 198.18.1.12",
    spec: { expectation: 1, kind: "sourceSeen" },
    evidence: { missing: ["198.18.1.11"], extra: ["198.18.1.12"] },
  });
  t.match(failures[0]!.message, /kernel of server showed 198\.18\.1\.11, whose connections the packets do not show; the packets show connections from 198\.18\.1\.12 to 198\.18\.2\.10:5556/);
  t.equal(verdictLine([...results, ...failures]), "1 capture check failed (expectation 1); 1 of 3 expectations failed");
});

t.test("counters that say a router forwarded what the packets show another forwarding: the capture check fails for each path", async (t) => {
  const capture = new CaptureAnalyzer();
  // The packets: the routes swapped (.10 through r2, .11 through r1).
  connect(capture, "198.18.1.10", 40000, "r2");
  connect(capture, "198.18.1.11", 40001, "r1");
  // The counters (a wrong reading): as the lab wants it.
  const { results, failures } = judged(run({ peers: ["198.18.1.10", "198.18.1.11"], r1: { "198.18.1.10": 30 }, r2: { "198.18.1.11": 30 }, capture }));
  t.ok(results[1]!.ok && results[2]!.ok, "the paths hold by the counters' word");
  t.same(
    failures.map((f) => f.spec),
    [
      { expectation: 2, kind: "path" },
      { expectation: 3, kind: "path" },
    ],
  );
  t.match(failures[0]!.message, /r1's counters showed 30 packets, but no frame from 198\.18\.1\.10 entered or left r1 in the capture/);
  t.match(failures[0]!.message, /r2's counters showed 0 packets, but the capture shows \d+ frames from 198\.18\.1\.10 leaving r2/);
  t.match(failures[0]!.evidence, { routers: { r1: { counters: 30, leaving: 0 }, r2: { counters: 0 } } });
});

t.test("when the counters are right and the run fails, the capture agrees: only the expectations fail", async (t) => {
  const capture = new CaptureAnalyzer();
  connect(capture, "198.18.1.10", 40000, "r2");
  connect(capture, "198.18.1.11", 40001, "r1");
  const { results, failures } = judged(run({ peers: ["198.18.1.10", "198.18.1.11"], r1: { "198.18.1.11": 30 }, r2: { "198.18.1.10": 30 }, capture }));
  t.same(
    results.map((r) => r.ok),
    [true, false, false],
  );
  t.same(failures, []);
});

t.test("a ring that lost the start of the traffic judges no path and no missing source", async (t) => {
  // The packets begin at 100 ms (the ring dropped what came before); the traffic began at -200 ms.
  const wrapped = new CaptureAnalyzer();
  connect(wrapped, "198.18.1.10", 40000, "r1", 100);
  const lost = judged(run({ peers: ["198.18.1.10", "198.18.1.11"], r1: { "198.18.1.10": 30 }, r2: { "198.18.1.11": 30 }, capture: wrapped }));
  t.same(lost.failures, [], "nothing judged: .11's SYN and r2's frames may be in what the ring dropped");
  // The same packets, the traffic beginning after them: judged, and they disagree.
  const covered = judged(run({ peers: ["198.18.1.10", "198.18.1.11"], r1: { "198.18.1.10": 30 }, r2: { "198.18.1.11": 30 }, capture: wrapped, start: 150 }));
  t.same(
    covered.failures.map((f) => f.spec),
    [
      { expectation: 1, kind: "sourceSeen" },
      { expectation: 3, kind: "path" },
    ],
  );
});

t.test("a recorder that ended early fails the check", async (t) => {
  const capture = new CaptureAnalyzer();
  const o = run({ peers: [], r1: {}, r2: {}, capture });
  o.capture!.problems.push("clients: tcpdump ended early: No such device");
  const failures = captureFailures([], o);
  t.match(failures, [{ kind: "capture", ok: false, spec: { capture: "recording" }, message: "capture: clients: tcpdump ended early: No such device" }]);
  t.equal(verdictLine(failures), "1 capture check failed (recording); no expectations");
});

t.test("no capture, no check", async (t) => {
  t.same(captureFailures(evaluate(LAB, observations([])), observations([])), []);
});
