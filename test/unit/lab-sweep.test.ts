// The sweep's failures and the lab file's `sweep:` section (docs/sweep.md): failures as the
// command line, the file and the report's rows write them; the faults each becomes; the default
// set; pairs and samples; the markers a run without a failure gets; and every mistake in the
// section reported with its line, path and a hint (exit 2), before any engine is asked.
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import {
  caseText,
  defaultFailures,
  failureText,
  labWithFailure,
  labWithMarkers,
  pairsOf,
  parseFailure,
  sample,
  sweepAt,
  timelineProblem,
  withoutSweepFaults,
  type Failure,
} from "../../controller/lab/sweep.js";
import { planFaults } from "../../controller/plan/faults.js";
import { planLab } from "../../controller/plan/plan.js";
import { problemsIn } from "../support/problems.js";

/** Two routers between a client and a server, 300 messages a second for 12 s; `extra` goes at the end. */
const LAB = (extra = "", expect = "") => `name: sw
networks:
  clients: { subnet: 198.18.50.0/24 }
  servers: { subnet: 198.18.51.0/24 }
nodes:
  client: { interfaces: { clients: 198.18.50.10 }, routes: [{ to: 198.18.51.0/24, via: 198.18.50.2 }] }
  r1: { forward: true, interfaces: { clients: 198.18.50.2, servers: 198.18.51.2 } }
  r2: { forward: true, interfaces: { clients: 198.18.50.3, servers: 198.18.51.3 } }
  server: { interfaces: { servers: 198.18.51.10 }, routes: [{ to: 198.18.50.0/24, via: 198.18.51.2 }] }
traffic:
  quotes: { node: server, socket: pub, bind: tcp://198.18.51.10:5556, send: { rate: 300, duration: 12s } }
  ticker: { node: client, socket: sub, connect: "tcp://198.18.50.10:0;198.18.51.10:5556" }
${expect ? `expect:\n${expect}\n` : ""}${extra}`;

const lab = (extra = "", expect = "") => parseLab(LAB(extra, expect), "lab.yaml").lab;
const f = (text: string) => parseFailure(text) as Failure;

t.test("failures as text: each form and back, and what is no failure", async (t) => {
  for (const text of ["stop r1", "pause r1", "down r1:servers", "partition client,r1/server"]) t.equal(failureText(f(text)), text, text);
  t.same(parseFailure("  down  r1 : servers "), { action: "down", node: "r1", network: "servers" }, "spaces around the parts are tolerated");
  t.same(parseFailure("partition a, b / c"), { action: "partition", sets: [["a", "b"], ["c"]] });
  t.equal(parseFailure("kill r1"), `"kill r1" is not a failure`);
  t.equal(parseFailure("stop"), `"stop" is not a failure`);
  t.equal(parseFailure("down r1"), `"down r1": down names an interface as NODE:NETWORK`);
  t.equal(parseFailure("down r1:a:b"), `"down r1:a:b": down names an interface as NODE:NETWORK`);
  t.equal(parseFailure("stop r1:servers"), `"stop r1:servers": stop names one node`);
  t.equal(parseFailure("partition a,b"), `"partition a,b": a partition names two node sets or more, split by /`);
  t.equal(parseFailure("partition a//b"), `"partition a//b": a partition names two node sets or more, split by /`);
  t.equal(caseText([f("stop r1"), f("down r2:servers")]), "stop r1 + down r2:servers");
});

t.test("the default: every forwarding node stopped, then each of its interfaces down, node by node", async (t) => {
  t.same(defaultFailures(lab()).map(failureText), ["stop r1", "down r1:clients", "down r1:servers", "stop r2", "down r2:clients", "down r2:servers"]);
  t.same(
    defaultFailures(lab(), "pause")
      .map(failureText)
      .filter((x) => !x.startsWith("down")),
    ["pause r1", "pause r2"],
  );
});

t.test("pairs: every two failures on different nodes; a sample is repeatable and keeps their order", async (t) => {
  const pairs = pairsOf(defaultFailures(lab())).map(caseText);
  t.equal(pairs.length, 9, "3 failures of r1 times 3 of r2");
  t.ok(
    pairs.every((p) => p.includes("r1") && p.includes("r2")),
    "never two failures of one node",
  );
  t.same(
    pairsOf([f("partition client/server"), f("stop client"), f("stop r1")]).map(caseText),
    ["partition client/server + stop r1", "stop client + stop r1"],
    "a partition shares nodes with the failures of its members",
  );
  const items = Array.from({ length: 20 }, (_, i) => i);
  const a = sample(items, 5, 7);
  t.same(sample(items, 5, 7), a, "the same seed, the same choice");
  t.not(sample(items, 5, 8).join(), a.join(), "another seed, another choice");
  t.same(
    [...a].sort((x, y) => x - y),
    a,
    "in their order",
  );
  t.equal(new Set(a).size, 5);
  t.same(sample(items, 30, 1), items, "asking for more than there are: all of them");
});

t.test("a failure as faults: sweep at the time, its undoing sweep-restore; of a pair, sweep-2 100 ms earlier", async (t) => {
  const one = labWithFailure(lab(), [f("stop r1")], 4000, 3000).faults!;
  t.same(one, { sweep: { at: 4000, node: "r1", action: "stop" }, "sweep-restore": { at: 7000, node: "r1", action: "start" } });
  t.same(labWithFailure(lab(), [f("pause r1")], 4000, 1000).faults!["sweep-restore"], { at: 5000, node: "r1", action: "unpause" });
  t.same(labWithFailure(lab(), [f("down r1:servers")], 4000).faults, { sweep: { at: 4000, node: "r1", network: "servers", action: "down" } }, "no restore: never undone");
  const pair = labWithFailure(lab(), [f("partition client/server"), f("down r2:clients")], 4000, 2000).faults!;
  t.same(pair, {
    sweep: { at: 4000, partition: [["client"], ["server"]] },
    "sweep-restore": { at: 6000, action: "heal" },
    "sweep-2": { at: 3900, node: "r2", network: "clients", action: "down" },
    "sweep-2-restore": { at: 5900, node: "r2", network: "clients", action: "up" },
  });
  t.same(labWithFailure(lab(), [f("stop r1"), f("stop r2")], 50).faults!["sweep-2"], { at: 0, node: "r2", action: "stop" }, "never before time 0");
  // Planned like any fault: the dry run shows it.
  const planned = planFaults(labWithFailure(lab(), [f("down r1:servers")], 4000, 3000), planLab(lab()));
  t.same(
    planned.map((p) => [p.name, p.atMs, p.description]),
    [
      ["sweep", 4000, "take r1's interface on servers down"],
      ["sweep-restore", 7000, "bring r1's interface on servers up, with its addresses and routes"],
    ],
  );
});

t.test("the lab's own faults: the failure replaces any sweep fault, keeps the others; a failure they rule out says why", async (t) => {
  const own = lab("faults:\n  r1-down: { at: 2s, node: r1, action: stop }\n  r1-back: { at: 9s, node: r1, action: start }\n");
  t.same(Object.keys(labWithFailure(labWithMarkers(own, 4000), [f("stop r2")], 4000).faults!), ["r1-down", "r1-back", "sweep"]);
  t.equal(timelineProblem(own, [f("stop r1")], 4000), 'stop of node "r1" at 4000 ms, which is stopped (by fault r1-down)');
  t.equal(timelineProblem(own, [f("down r1:servers")], 4000), 'node "r1" is stopped at 4000 ms (by fault r1-down)');
  t.equal(timelineProblem(own, [f("stop r1")], 10000), undefined, "after the lab started it again");
  t.equal(timelineProblem(own, [f("stop r2")], 4000), undefined);
  t.same(withoutSweepFaults(labWithMarkers(own, 4000)).faults, own.faults, "the markers come off again");
});

t.test("the markers: where the failure would go, `true` in a node that runs then, preferably of zmqlab's image", async (t) => {
  t.same(labWithMarkers(lab(), 4000, 2000).faults, { sweep: { at: 4000, node: "client", exec: ["true"] }, "sweep-restore": { at: 6000, node: "client", exec: ["true"] } });
  const clientDown = lab("faults:\n  gone: { at: 1s, node: client, action: stop }\n");
  t.equal(labWithMarkers(clientDown, 4000).faults!["sweep"]!.node, "r1", "not a node the lab stopped before then");
  t.equal(labWithMarkers(clientDown, 500).faults!["sweep"]!.node, "client", "before it stops, it runs");
  const own = parseLab(LAB().replace("client: { interfaces", 'client: { image: "own:1", interfaces'), "lab.yaml").lab;
  t.equal(labWithMarkers(own, 4000).faults!["sweep"]!.node, "r1", "zmqlab's image has `true`; another image may not");
});

t.test("a plain run of a lab whose expectations name sweep gets the markers; others are left alone", async (t) => {
  t.equal(lab().faults, undefined);
  t.equal(lab("sweep: { at: 5s }\n").faults, undefined, "a sweep section alone adds nothing");
  const named = lab("sweep: { restore: 2s }\n", "  - recovered: { endpoint: ticker, after: sweep, within: 5s }\n  - delivered: { endpoint: ticker, between: [sweep, sweep-restore] }");
  t.same(named.faults, { sweep: { at: 4000, node: "client", exec: ["true"] }, "sweep-restore": { at: 6000, node: "client", exec: ["true"] } }, "at a third of the traffic by default");
  t.equal(sweepAt(lab("sweep: { at: 1500ms }\n")), 1500);
  t.equal(sweepAt(lab()), 4000, "a third of 12 s");
});

t.test("quorum: on every kind, a share above 0 and at most 1", async (t) => {
  t.same(problemsIn(LAB("", "  - delivered: { endpoint: ticker, quorum: 0.95 }\n  - recovered: { endpoint: ticker, after: sweep, within: 5s, quorum: 1 }")), []);
  const wrong = problemsIn(LAB("", "  - delivered: { endpoint: ticker, quorum: 1.5 }\n  - delivered: { endpoint: ticker, quorum: 0 }"));
  t.same(
    wrong.map((p) => [p.path, p.line]),
    [
      ["expect[0].delivered.quorum", 14],
      ["expect[1].delivered.quorum", 15],
    ],
  );
});

t.test("the sweep section's mistakes: file, line, path and hint, before any engine", async (t) => {
  const problems = (extra: string, expect = "") => problemsIn(LAB(extra, expect)).map((p) => ({ line: p.line, path: p.path, message: p.message, hint: p.hint }));
  t.same(problems("sweep: { at: soon }\n"), [{ line: 13, path: "sweep.at", message: '"soon" is not a duration', hint: "ms (a number), or 1500ms, 4s" }]);
  t.same(
    problems("sweep: { at: 70s }\n").map((p) => p.message),
    ["70000 ms is past the traffic phase's bound (settings.trafficTimeout, 60000 ms)"],
  );
  t.same(
    problems("sweep: { at: 50s, restore: 15s }\n").map((p) => p.path),
    ["sweep.restore"],
  );
  t.same(problems("sweep: { failures: [stop r9, down r1:server, kill r1, partition client/client] }\n"), [
    { line: 13, path: "sweep.failures[0]", message: 'no node "r9" in this lab', hint: 'did you mean "r1"?' },
    { line: 13, path: "sweep.failures[1]", message: 'node "r1" is not on network "server"', hint: 'did you mean "r1:servers"?' },
    { line: 13, path: "sweep.failures[2]", message: '"kill r1" is not a failure', hint: "stop NODE, pause NODE, down NODE:NETWORK or partition A,B/C" },
    { line: 13, path: "sweep.failures[3]", message: 'node "client" is in two sets', hint: "each node is in at most one set of a partition" },
  ]);
  t.same(
    problems("faults:\n  r1-down: { at: 2s, node: r1, action: stop }\nsweep:\n  failures: [stop r1]\n").map((p) => [p.line, p.path, p.message]),
    [[16, "sweep.failures[0]", 'stop r1 at 4000 ms: stop of node "r1" at 4000 ms, which is stopped (by fault r1-down)']],
  );
  t.same(
    problems("sweep: { exclude: [down r1:nowhere] }\n").map((p) => [p.path, p.message]),
    [["sweep.exclude[0]", 'node "r1" is not on network "nowhere"']],
  );
  t.same(
    problems("sweep: { failures: [] }\n").map((p) => p.path),
    ["sweep.failures"],
    "an empty list says nothing",
  );
  t.same(
    problems("sweep: { when: 3s }\n").map((p) => [p.path, p.message, p.hint]),
    [["sweep.when", 'unknown key "when"', "allowed here: at, restore, failures, exclude"]],
  );
  t.same(
    problems("faults:\n  sweep: { at: 2s, node: r1, action: stop }\n").map((p) => [p.line, p.path, p.message]),
    [[14, "faults.sweep", 'the fault name "sweep" is zmqlab sweep\'s']],
  );
  t.same(
    problems("faults:\n  sweep-2: { at: 2s, node: r1, action: stop }\n").map((p) => p.path),
    ["faults.sweep-2"],
  );
  t.same(
    problems("", "  - delivered: { endpoint: ticker, between: [sweep, sweep-restore] }").map((p) => [p.path, p.message, p.hint]),
    [["expect[0].delivered.between[1]", "sweep-restore happens only with a restore", "say how long after the failure it is undone: sweep: { restore: 3s }"]],
  );
  t.same(
    problems('faults:\n  late: { at: 2s, node: client, exec: ["true"] }\n', "  - delivered: { endpoint: ticker, between: [sweep, late] }").map((p) => p.message),
    ["sweep (at 4000 ms) is not before late (at 2000 ms)"],
    "the sweep's time orders a between like any fault's",
  );
  t.same(
    problems("", "  - delivered: { endpoint: ticker, after: swep }").map((p) => [p.message, p.hint]),
    [['no fault "swep" in this lab', 'did you mean "sweep"?']],
    "a typo of sweep is no fault",
  );
  const unpaced = LAB().replace("send: { rate: 300, duration: 12s }", "send: { count: 100 }");
  t.same(
    problemsIn(`${unpaced}expect:\n  - delivered: { endpoint: ticker, after: sweep }\n`).map((p) => [p.path, p.message]),
    [["expect", "expectations name the fault sweep, which has no time"]],
    "no paced sender and no sweep.at: no time for it",
  );
  t.same(problemsIn(`${unpaced}sweep: { at: 1s }\nexpect:\n  - delivered: { endpoint: ticker, after: sweep }\n`), []);
});
