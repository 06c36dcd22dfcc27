// The traffic table's every cell and note (controller/report/traffic-text.ts): program endpoints,
// broken ones, nodes that went away, counters that could not be read, long commands, and
// addresses in numeric order.
import t from "tap";
import { byAddress, commandText, latencyText, programState, trafficText } from "../../controller/report/traffic-text.js";
import type { EndpointReport, TrafficReport } from "../../controller/traffic/types.js";

const endpoint = (over: Partial<EndpointReport>): EndpointReport => ({
  name: "e",
  node: "n",
  socket: "sub",
  sent: 0,
  received: 0,
  from: {},
  gaps: 0,
  duplicates: 0,
  reordered: 0,
  bind: [],
  connect: [],
  peers: [],
  handshakes: [],
  noHandshake: [],
  errors: [],
  ...over,
});
const report = (endpoints: EndpointReport[], over: Partial<TrafficReport> = {}): TrafficReport => ({
  lab: "t",
  started: "2026-11-28T10:00:00.000Z",
  durationMs: 1000,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  endpoints,
  ...over,
});
const row = (text: string, name: string) =>
  text
    .split("\n")
    .find((l) => l.startsWith(`${name} `))!
    .trim()
    .split(/\s{2,}/);

t.test("a program's state: exit, stopped (killed or not), never started, with its time", async (t) => {
  const p = { command: ["x"], stopped: false, killed: false, lastLines: [] };
  t.equal(programState({ ...p, exitCode: 0, durationMs: 1700 }), "exit 0 after 1.7 s", "an exit, seconds with one decimal");
  t.equal(programState({ ...p, exitCode: 3, durationMs: 250 }), "exit 3 after 0.3 s", "its code");
  t.equal(programState({ ...p, exitCode: 143, stopped: true, durationMs: 20000 }), "stopped after 20.0 s", "stopped at its deadline");
  t.equal(programState({ ...p, exitCode: 137, stopped: true, killed: true, durationMs: 21000 }), "stopped after 21.0 s (SIGKILL)", "killed after the grace period");
  t.equal(programState({ ...p, exitCode: null, durationMs: 0 }), "never started", "never started");
  t.equal(programState({ ...p, exitCode: 0, stopped: false, durationMs: 0 }), "exit 0 after 0.0 s", "exit code 0 is an exit, not never-started");
});

t.test("a command for reading: long or multi-line arguments shortened to 37 characters and ...", async (t) => {
  t.equal(commandText(["python3", "-c", "print(1)"]), "python3 -c print(1)", "short arguments as they are");
  const forty = "a".repeat(40);
  t.equal(commandText([forty]), forty, "40 characters is not long");
  t.equal(commandText([forty + "b"]), `${"a".repeat(37)}...`, "41 is");
  t.equal(commandText(["x\ny"]), "x y...", "a line break makes it a script: spaces for breaks, and ...");
  t.equal(commandText(["import  zmq\n\n  s = 1"]), "import zmq s = 1...", "each run of white space one space");
});

t.test("addresses in numeric order, IPv4 before IPv6", async (t) => {
  t.same(["198.18.1.10", "2001:db8::2", "198.18.1.9", "2001:db8::10", "10.0.0.1"].sort(byAddress), ["10.0.0.1", "198.18.1.9", "198.18.1.10", "2001:db8::2", "2001:db8::10"], "numeric, not textual");
});

t.test("the table: a program's row, a broken endpoint's, notes", async (t) => {
  const program = endpoint({
    name: "app",
    node: "c",
    socket: "program",
    sent: 5,
    received: 7,
    program: { command: ["python3", "-c", "x\ny"], exitCode: 0, stopped: false, killed: false, durationMs: 1200, lastLines: ["one", "two", "three", "four"] },
  });
  const broken = endpoint({ name: "bad", node: "c", socket: "pub", sent: 9, received: 4, errors: ["bind tcp://*:1: Address in use", "later"], failures: ["bind tcp://*:1: Address in use"] });
  const counted = endpoint({
    name: "sub1",
    node: "c",
    sent: 0,
    received: 12,
    from: { q: 10, r: 2 },
    gaps: 1,
    duplicates: 2,
    reordered: 3,
    peers: [
      { local: "x", address: "198.18.1.10", port: 1 },
      { local: "x", address: "198.18.1.9", port: 2 },
      { local: "y", address: "198.18.1.10", port: 3 },
    ],
    noHandshake: [
      { connect: "c", source: "198.18.1.10", destination: "198.18.2.9:5", afterMs: 1, nodeAddresses: [], message: "m1" },
      { connect: "c", destination: "198.18.2.8:5", afterMs: 1, nodeAddresses: [], message: "m2" },
    ],
  });
  const text = trafficText(report([program, broken, counted]));
  t.same(row(text, "app"), ["app", "c", "program", "-", "-", "-", "-", "-", "exit 0 after 1.2 s"], "a program counts nothing: dashes, and its state as the note");
  t.same(row(text, "bad"), ["bad", "c", "pub", "-", "-", "-", "-", "-", "FAILED: bind tcp://*:1: Address in use; later"], "a broken endpoint: dashes, its failure marked");
  t.same(
    row(text, "sub1"),
    ["sub1", "c", "sub", "0", "12", "q:10 r:2", "-", "198.18.1.9 198.18.1.10", "1 gaps; 2 duplicates; 3 reordered; no handshake 198.18.1.10 -> 198.18.2.9:5; no handshake 198.18.2.8:5"],
    "counts, senders, peers once each in order, every note",
  );
  t.same(row(trafficText(report([endpoint({ name: "quiet" })])), "quiet"), ["quiet", "n", "sub", "0", "0", "-", "-", "-", "ok"], "nothing to note: ok");
  const details = text.split("\n\n")[1]!.split("\n");
  t.same(
    details,
    ["  m1", "  m2", "  app (python3 -c x y...): exit 0 after 1.2 s; last lines: two | three | four"],
    "below the table: each missing handshake, then each program with its last three lines",
  );
  const silent = trafficText(report([endpoint({ name: "app", socket: "program", program: { command: ["true"], exitCode: 0, stopped: false, killed: false, durationMs: 100, lastLines: [] } })]));
  t.match(silent, "\n\n  app (true): exit 0 after 0.1 s; no output", "a program that printed nothing");
  t.notMatch(trafficText(report([endpoint({})])), /\n\n/, "nothing below the table when there is nothing to say");
});

t.test("a receiver's latency: p50/p99/max in ms, 3 significant digits, below 1 ms to the µs", async (t) => {
  t.equal(latencyText({ count: 9, p50: 0.2134, p99: 1.2345, max: 1234.5 }), "0.213/1.23/1230");
  t.equal(latencyText({ count: 9, p50: 1, p99: 0.999, max: 0.0005 }), "1/0.999/0.001", "1 ms has three digits too; the µs below");
  t.equal(latencyText({ count: 9, p50: 0, p99: 12.34, max: 99.95 }), "0/12.3/100");
  const timed = endpoint({ name: "r", received: 3, from: { q: 3 }, latency: { count: 3, p50: 0.25, p99: 1.5, max: 2, from: {} } });
  t.same(row(trafficText(report([timed])), "r"), ["r", "n", "sub", "0", "3", "q:3", "0.25/1.5/2", "-", "ok"], "in its own column");
  t.match(trafficText(report([timed])), /^endpoint +node +socket +sent +received +from +latency ms p50\/p99\/max +peers/, "the column's heading");
});

t.test("below the table: nodes that went away, and counters that could not be read", async (t) => {
  const text = trafficText({
    ...report([endpoint({})], {
      interrupted: [
        { node: "r1", container: "c1", state: "stopped", message: "r1 stopped at 2.0 s" },
        { node: "r2", container: "c2", state: "restarted", message: "r2 restarted" },
      ],
    }),
    flowsUnavailable: { r1: "it is stopped", r2: "its counters were reset", r3: "no answer" },
  });
  t.same(
    text.split("\n\n")[1]!.split("\n"),
    ["  STOPPED: r1 stopped at 2.0 s", "  RESTARTED: r2 restarted", "  counters of r2 unavailable: its counters were reset", "  counters of r3 unavailable: no answer"],
    "each interrupted node in capitals; a stopped node's unreadable counters go without saying, a restarted one's and others' are said",
  );
  const alone = trafficText({ ...report([endpoint({})]), flowsUnavailable: { r1: "no answer" } });
  t.match(alone, "\n\n  counters of r1 unavailable: no answer", "unreadable counters with no node interrupted");
});
