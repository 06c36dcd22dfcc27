// Exact texts of the terminal reports (traffic table, programs, node notes), the TAP, JUnit and
// JSON reports and the expectations table: what a user reads, character by character.
import t from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { commandText, programState, trafficText } from "../../controller/report/traffic-text.js";
import { expectationsText, verdictLine } from "../../controller/report/expectations-text.js";
import { tapText } from "../../controller/report/tap.js";
import { junitXml, writeJunitReport } from "../../controller/report/junit.js";
import { jsonReport, writeJsonReport } from "../../controller/report/json.js";
import type { EndpointReport, ProgramOutcome } from "../../controller/traffic/types.js";
import type { ExpectationResult } from "../../controller/expect/types.js";
import type { LabReport } from "../../controller/run/index.js";
import { scratchDir } from "../support/scratch.js";

function endpoint(over: Partial<EndpointReport>): EndpointReport {
  return {
    name: "e",
    node: "n",
    socket: "pull",
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
  };
}
function program(over: Partial<ProgramOutcome>): ProgramOutcome {
  return { command: ["prog"], exitCode: 0, stopped: false, killed: false, durationMs: 1700, lastLines: [], ...over };
}
function result(over: Partial<ExpectationResult>): ExpectationResult {
  return { kind: "delivered", description: "d", ok: true, expected: "x", observed: "y", message: "m", spec: {}, evidence: {}, ...over };
}

t.test("programState: exit, stop, SIGKILL, never started; seconds to one decimal", async (t) => {
  t.equal(programState(program({ exitCode: 0, durationMs: 1700 })), "exit 0 after 1.7 s");
  t.equal(programState(program({ exitCode: 3, durationMs: 250 })), "exit 3 after 0.3 s");
  t.equal(programState(program({ exitCode: 143, stopped: true, durationMs: 20000 })), "stopped after 20.0 s");
  t.equal(programState(program({ exitCode: 137, stopped: true, killed: true, durationMs: 25049 })), "stopped after 25.0 s (SIGKILL)");
  t.equal(programState(program({ exitCode: null, durationMs: 0 })), "never started");
  t.equal(programState(program({ exitCode: null, stopped: true, durationMs: 5000 })), "never started", "no exit code: never started whatever else");
});

t.test("commandText shortens long or multi-line arguments only", async (t) => {
  const forty = "a".repeat(40);
  t.equal(commandText(["python3", "-u", forty]), `python3 -u ${forty}`, "40 characters stay whole");
  t.equal(commandText(["python3", "a".repeat(41)]), `python3 ${"a".repeat(37)}...`, "41 are cut to 37 and ...");
  t.equal(commandText(["sh", "-c", "echo a\n  echo   b"]), "sh -c echo a echo b...", "a short script on lines: whitespace runs become one space");
  t.equal(commandText(["sh", "-c", "x\ty  z"]), "sh -c x\ty  z", "tabs and spaces in a short one-line argument stay");
  t.equal(commandText([]), "");
});

t.test("traffic table: counts, senders, peers, notes; programs and broken endpoints show no numbers", async (t) => {
  const text = trafficText({
    lab: "l",
    started: "2026-01-01T00:00:00.000Z",
    durationMs: 1000,
    clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
    endpoints: [
      endpoint({ name: "src", node: "client", socket: "push", sent: 100, received: 0 }),
      endpoint({
        name: "sink",
        node: "server",
        socket: "pull",
        sent: 0,
        received: 97,
        from: { "198.18.1.10": 60, "198.18.1.9": 37 },
        gaps: 2,
        duplicates: 1,
        reordered: 4,
        peers: [
          { local: "198.18.2.10:5555", address: "198.18.1.10", port: 40000 },
          { local: "198.18.2.10:5555", address: "198.18.1.9", port: 40001 },
          { local: "198.18.2.10:5555", address: "198.18.1.10", port: 40002 },
        ],
        errors: ["late error"],
      }),
      endpoint({
        name: "broken",
        node: "server",
        socket: "pull",
        sent: 5,
        received: 6,
        errors: ["bind failed", "other"],
        failures: ["bind failed"],
        noHandshake: [
          { connect: "tcp://a:1", source: "198.18.1.10", destination: "198.18.9.9:1", afterMs: 1, nodeAddresses: [], message: "no handshake from 198.18.1.10 to 198.18.9.9:1" } as never,
          { connect: "tcp://a:2", destination: "198.18.9.8:2", afterMs: 1, nodeAddresses: [], message: "no handshake to 198.18.9.8:2" } as never,
        ],
      }),
      endpoint({
        name: "prog",
        node: "client",
        socket: "program",
        sent: 9,
        received: 9,
        program: program({ command: ["python3", "-c", "import zmq\nprint(1)"], lastLines: ["l1", "l2", "l3", "l4"] }),
      }),
      endpoint({ name: "quiet", node: "client", socket: "program", program: program({ exitCode: null, durationMs: 0 }) }),
    ],
  });
  t.equal(
    text,
    [
      "endpoint  node    socket   sent  received  from                          latency ms p50/p99/max  peers seen by the kernel  notes",
      "src       client  push     100   0         -                             -                       -                         ok",
      "sink      server  pull     0     97        198.18.1.10:60 198.18.1.9:37  -                       198.18.1.9 198.18.1.10    2 gaps; 1 duplicates; 4 reordered; late error",
      "broken    server  pull     -     -         -                             -                       -                         no handshake 198.18.1.10 -> 198.18.9.9:1; no handshake 198.18.9.8:2; FAILED: bind failed; other",
      "prog      client  program  -     -         -                             -                       -                         exit 0 after 1.7 s",
      "quiet     client  program  -     -         -                             -                       -                         never started",
      "",
      "  no handshake from 198.18.1.10 to 198.18.9.9:1",
      "  no handshake to 198.18.9.8:2",
      "  prog (python3 -c import zmq print(1)...): exit 0 after 1.7 s; last lines: l2 | l3 | l4",
      "  quiet (prog): never started; no output",
    ].join("\n"),
  );
});

t.test("traffic details: interrupted nodes, and unreadable counters unless the node is down", async (t) => {
  const text = trafficText({
    lab: "l",
    started: "s",
    durationMs: 1,
    clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
    endpoints: [endpoint({ name: "a", node: "x", sent: 1 })],
    interrupted: [
      { node: "r1", container: "c1", state: "stopped", message: "r1 was stopped" },
      { node: "r2", container: "c2", state: "restarted", message: "r2 restarted" },
      { node: "r3", container: "c3", state: "paused", message: "r3 is paused" },
    ],
    flowsUnavailable: { r1: "container not running", r2: "counters reset", r3: "paused", r4: "nft failed" },
  });
  t.equal(
    text,
    [
      "endpoint  node  socket  sent  received  from  latency ms p50/p99/max  peers seen by the kernel  notes",
      "a         x     pull    1     0         -     -                       -                         ok",
      "",
      "  STOPPED: r1 was stopped",
      "  RESTARTED: r2 restarted",
      "  PAUSED: r3 is paused",
      "  counters of r2 unavailable: counters reset",
      "  counters of r4 unavailable: nft failed",
    ].join("\n"),
  );
  const alone = trafficText({ lab: "l", started: "s", durationMs: 1, clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 }, endpoints: [], flowsUnavailable: { r9: "gone" } });
  t.equal(
    alone,
    "endpoint  node  socket  sent  received  from  latency ms p50/p99/max  peers seen by the kernel  notes\n\n  counters of r9 unavailable: gone",
    "no interrupted nodes: every unreadable node is told",
  );
  t.equal(
    trafficText({ lab: "l", started: "s", durationMs: 1, clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 }, endpoints: [] }),
    "endpoint  node  socket  sent  received  from  latency ms p50/p99/max  peers seen by the kernel  notes",
    "nothing to tell: the table alone",
  );
});

t.test("expectations: built-in endpoint failures unnumbered, lab-file names of moved instances, verdicts", async (t) => {
  const results = [
    result({ kind: "endpoint", ok: false, description: "endpoint quotes starts", message: "quotes could not bind", spec: { endpoint: "quotes" } }),
    result({ kind: "delivered", ok: false, description: "a -> b", actual: { description: "a -> b (10.0.0.100)" }, expected: "100", observed: "90", message: "10 lost" }),
    result({ kind: "unreachable", ok: true, description: "c reaches d", expected: "yes", observed: "yes", message: "ok" }),
  ];
  t.equal(
    expectationsText(results),
    [
      "      kind         expectation                           expected  observed",
      "FAIL  endpoint     endpoint quotes starts                x         y",
      "FAIL  delivered    a -> b (actual: a -> b (10.0.0.100))  100       90",
      "PASS  unreachable  c reaches d                           yes       yes",
      "",
      "  FAIL quotes could not bind",
      "  FAIL 2 (delivered): 10 lost",
      "",
      "1 endpoint failed (quotes); 1 of 2 expectations failed",
    ].join("\n"),
  );
  t.equal(
    verdictLine([
      result({ kind: "endpoint", ok: false, spec: { endpoint: "p" } }),
      result({ kind: "endpoint", ok: false, spec: { endpoint: "q" } }),
      result({ kind: "endpoint", ok: true, spec: { endpoint: "r" } }),
    ]),
    "2 endpoints failed (p, q); no expectations",
  );
  t.equal(verdictLine([result({}), result({})]), "all 2 expectations hold");
  t.equal(verdictLine([result({})]), "the expectation holds");
  t.equal(
    expectationsText([result({ description: "ok one" })]),
    "      kind       expectation  expected  observed\nPASS  delivered  ok one       x         y\n\nthe expectation holds",
    "no failure: no failure lines and no blank line for them",
  );
});

const report = (expectations: ExpectationResult[]): LabReport => ({
  lab: "demo<&>",
  started: "2026-01-02T03:04:05.678Z",
  durationMs: 1500,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  endpoints: [],
  ok: false,
  expectations,
  flows: {},
});

t.test("TAP: descriptions on one line, # and backslash escaped", async (t) => {
  const text = tapText(report([result({ description: "a\r\n\nb # c \\ d", ok: false, message: "why" })]));
  t.equal(
    text,
    [
      "TAP version 14",
      "1..1",
      "not ok 1 - a b \\# c \\\\ d",
      "  ---",
      "  kind: delivered",
      "  expected: x",
      "  observed: y",
      "  message: why",
      "  ...",
      "# lab demo<&>: 1 of 1 expectations failed",
      "",
    ].join("\n"),
  );
  t.match(tapText(report([result({ description: "x\ny" })])), /\nok 1 - x y\n/);
});

t.test("JUnit: timestamp without its Z only at the end, escaped names", async (t) => {
  const xml = junitXml(report([result({ description: "a<b", ok: false, message: "m&n" })]));
  t.match(xml, `<testsuite name="demo&lt;&amp;&gt;" tests="1" failures="1" errors="0" skipped="0" time="1.500" timestamp="2026-01-02T03:04:05.678">`);
  const zoned = junitXml({ ...report([]), started: "Zulu 2026Z" });
  t.match(zoned, `timestamp="Zulu 2026"`, "only a trailing Z goes");
  const dir = scratchDir("zmqlab-rep-");
  writeJunitReport(join(dir, "j.xml"), report([]));
  t.equal(readFileSync(join(dir, "j.xml"), "utf8"), junitXml(report([])), "the file holds the XML");
  writeJsonReport(join(dir, "r.json"), report([]));
  t.equal(readFileSync(join(dir, "r.json"), "utf8"), jsonReport(report([])), "the file holds the JSON");
  t.same(JSON.parse(readFileSync(join(dir, "r.json"), "utf8")).lab, "demo<&>");
});
