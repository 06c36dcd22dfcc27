// A node that went away during the traffic (stopped, paused, removed): the run keeps what it
// observed, names the node in every report, and an expectation that reads that node's counters
// fails saying why rather than passing on counters nobody read. No Docker.
import t from "tap";
import { Ajv } from "ajv";
import { judge } from "../../controller/run/index.js";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { junitXml } from "../../controller/report/junit.js";
import { trafficText } from "../../controller/report/traffic-text.js";
import { htmlReport } from "../../controller/report/html.js";
import { bounded, interruptionMessage, stateWord } from "../../controller/traffic/nodes.js";
import type { Lab } from "../../controller/lab/types.js";
import type { Observations } from "../../controller/expect/types.js";
import type { EndpointReport, InterruptedNode } from "../../controller/traffic/types.js";

function endpoint(name: string, more: Partial<EndpointReport>): EndpointReport {
  return {
    name,
    node: "server",
    socket: "pub",
    bind: [],
    connect: [],
    sent: 0,
    received: 0,
    from: {},
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    peers: [],
    handshakes: [],
    noHandshake: [],
    errors: [],
    ...more,
  };
}

const stopped: InterruptedNode = { node: "r1", container: "zmqlab-spans-r1", state: "stopped", message: interruptionMessage("r1", "zmqlab-spans-r1", "stopped") };
const lost = `${interruptionMessage("client", "zmqlab-spans-client", "paused")}: reader could not report (what it sent or received until then is unknown)`;

const lab: Lab = {
  name: "spans",
  networks: {},
  nodes: {},
  expect: [
    { delivered: { endpoint: "reader", count: 100, from: "quotes" } },
    { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1" } },
    { path: { from: "198.18.1.11", to: "198.18.2.10", via: "r2", not: "r1" } },
    { path: { from: "198.18.1.11", to: "198.18.2.10", via: "r2" } },
    { balanced: { sources: ["198.18.1.10", "198.18.1.11"], to: "198.18.2.10", over: ["r1", "r2"] } },
  ],
};

const observations: Observations = {
  traffic: {
    lab: "spans",
    started: "2026-01-01T00:00:00.000Z",
    durationMs: 4000,
    clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
    endpoints: [
      endpoint("quotes", { bind: ["tcp://198.18.2.10:5556"], sent: 100 }),
      endpoint("reader", { node: "client", socket: "sub", connect: ["tcp://198.18.2.10:5556"], errors: [lost], failures: [lost] }),
    ],
    interrupted: [stopped, { node: "client", container: "zmqlab-spans-client", state: "paused", message: interruptionMessage("client", "zmqlab-spans-client", "paused") }],
  },
  flows: { r2: [{ from: "198.18.1.11", to: "198.18.2.10", packets: 12, bytes: 900 }] },
  flowsUnavailable: { r1: stopped.message },
  addresses: {},
};

const report = judge(lab, observations);

t.test("expectations that read an unavailable router's counters fail, saying why; the others are judged as usual", async (t) => {
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["delivered", false],
      ["path", false],
      ["path", false],
      ["path", true],
      ["balanced", false],
      ["endpoint", false],
    ],
  );
  const [, via, not, , balanced] = report.expectations;
  t.equal(via!.message, `cannot be judged: the counters of r1 could not be read (${stopped.message})`, "a path via it");
  t.match(
    not!.message,
    /^cannot be judged: the counters of r1 could not be read \(node r1 \(container zmqlab-spans-r1\) was stopped/,
    "a path that must avoid it: no packets counted is not the same as none forwarded",
  );
  t.match(not!.observed, /\(unavailable: r1\)$/);
  t.same(not!.evidence["unavailable"], ["r1"]);
  t.match(balanced!.message, /^cannot be judged: the counters of r1 could not be read/, "no reason drawn from counters nobody read");
  t.equal(report.ok, false);
  t.same(report.flowsUnavailable, { r1: stopped.message });
});

t.test("an expectation scoped to a phase is left to the counters snapshotted at the faults", async (t) => {
  const phased = { ...lab, expect: [{ path: { from: "198.18.1.11", to: "198.18.2.10", via: "r2", not: "r1", after: "r1-down" } } as never] };
  const down = { ms: 1_000, flows: { r1: [{ from: "198.18.1.11", to: "198.18.2.10", packets: 5, bytes: 300 }], r2: [{ from: "198.18.1.11", to: "198.18.2.10", packets: 2, bytes: 100 }] } };
  const scoped = judge(phased, { ...observations, faults: { "r1-down": 1_000 }, snapshots: { "r1-down": down } });
  t.equal(scoped.expectations[0]!.ok, true);
  t.same(scoped.expectations[0]!.evidence["packets"], { r2: 10, r1: 0 }, "r2's packets since the fault; r1 unread at the end counts none after it");
  t.equal(judge(phased, observations).expectations[0]!.observed, "the fault did not run", "without the fault, no phase to judge");
});

t.test("a router running at a fault but not read then: phases that start or end there cannot be judged from it", async (t) => {
  const before = {
    ...lab,
    expect: [{ path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", before: "r1-down" } } as never, { path: { from: "198.18.1.11", to: "198.18.2.10", via: "r2", after: "r1-down" } } as never],
  };
  const read = { ms: 1_000, flows: { r1: [{ from: "198.18.1.10", to: "198.18.2.10", packets: 5, bytes: 300 }], r2: [] } };
  const unread = { ms: 1_000, flows: { r2: [] }, unread: { r1: "its counters could not be read at fault r1-down" } };
  const judged = (snapshot: typeof read | typeof unread) =>
    judge(before, { ...observations, flows: { ...observations.flows, r1: [] }, flowsUnavailable: {}, faults: { "r1-down": 1_000 }, snapshots: { "r1-down": snapshot } }).expectations;
  t.same(
    judged(read)
      .slice(0, 2)
      .map((e) => e.ok),
    [true, true],
    "read: judged from its counters",
  );
  const [via, other] = judged(unread);
  t.equal(via!.ok, false);
  t.equal(via!.message, "cannot be judged: the counters of r1 could not be read (its counters could not be read at fault r1-down)", "never `r1 counted 0 packets` from a reading that did not happen");
  t.equal(other!.ok, true, "an expectation that does not read r1 is judged as usual");
});

t.test("the JSON names the stopped node and is valid by the schema", async (t) => {
  const validate = new Ajv({ allErrors: true, strict: true }).compile(reportSchema());
  const parsed = JSON.parse(jsonReport(report)) as Record<string, unknown>;
  t.ok(validate(parsed), JSON.stringify(validate.errors));
  t.same(
    (parsed["interrupted"] as InterruptedNode[]).map((n) => [n.node, n.state]),
    [
      ["r1", "stopped"],
      ["client", "paused"],
    ],
  );
  t.notOk("r1" in (parsed["flows"] as object), "no counters are made up for it");
  t.notOk(validate({ ...parsed, interrupted: [{ ...stopped, state: "sleeping" }] }), "states are the lab's words");
});

t.test("terminal, JUnit and HTML name the node", async (t) => {
  const text = trafficText(report);
  t.match(text, /\n {2}STOPPED: node r1 \(container zmqlab-spans-r1\) was stopped \(or its main process ended\) during the traffic phase/);
  t.match(text, /\n {2}PAUSED: node client \(container zmqlab-spans-client\) was paused/);
  t.notMatch(text, /counters of r1 unavailable/, "said once, as the node");
  t.match(
    trafficText({ ...report, interrupted: [], flowsUnavailable: { r3: "nft: No such file or directory" } }),
    /\n {2}counters of r3 unavailable: nft: No such file or directory/,
    "a running router whose counters could not be read",
  );
  t.match(
    text.split("\n").find((l) => l.startsWith("reader"))!,
    /^reader\s+client\s+sub\s+-\s+-\s+.*FAILED: node client .* was paused/,
  );
  t.match(junitXml(report), /<failure message="cannot be judged: the counters of r1 could not be read/);
  const html = htmlReport(lab, report);
  t.match(html, /<h2>Nodes that went away during the traffic<\/h2>\n<ul><li class="why">stopped: node r1/);
  t.match(html, /<li class="why">counters of r1 unavailable: node r1/);
  t.notMatch(htmlReport(lab, judge(lab, { ...observations, traffic: { ...observations.traffic, interrupted: [] }, flowsUnavailable: {} })), /Nodes that went away/, "nothing when nothing went away");
});

t.test("Docker's states in the lab's words", async (t) => {
  t.same(["exited", "dead", "created", "paused", "gone", "restarting", "removing"].map(stateWord), ["stopped", "stopped", "stopped", "paused", "gone", "restarting", "gone"]);
  t.match(interruptionMessage("r1", "c", "gone"), /^node r1 \(container c\) was removed during the traffic phase$/);
  t.match(interruptionMessage("r1", "c", "restarted"), /^node r1 \(container c\) was restarted during the traffic phase: what ran in it/);
});

t.test("bounded: the answer when it comes in time, a rejection naming what did not answer otherwise", async (t) => {
  t.equal(await bounded(Promise.resolve(7), 1000, "node r1"), 7);
  await t.rejects(bounded(new Promise(() => {}), 20, "node r1"), { message: "node r1 did not answer within 20 ms" });
  await t.rejects(bounded(Promise.reject(new Error("409 paused")), 1000, "node r1"), { message: "409 paused" }, "its own failure passes through");
});

t.test("a node counts as stopped by the lab's own faults only when they leave it so", async (t) => {
  const { expectedState } = await import("../../controller/traffic/nodes.js");
  t.equal(expectedState(["stop"]), "stopped");
  t.equal(expectedState(["stop", "start"]), "restarted");
  t.equal(expectedState(["restart"]), "restarted");
  t.equal(expectedState(["pause"]), "paused");
  t.equal(expectedState(["pause", "unpause"]), "running", "thawed: as it was");
  t.equal(expectedState(["restart", "pause", "unpause"]), "restarted", "thawed after a restart: restarted");
  t.equal(expectedState([]), "running");
});
