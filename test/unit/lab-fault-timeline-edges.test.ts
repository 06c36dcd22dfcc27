// The fault timeline's edges (controller/faults/timeline.ts and the kinds' walks): which faults
// it walks, the state each finds, each refusal's words, what a start or restart wipes, and tc
// rates in bits.
import t from "tap";
import { isNodeAction } from "../../controller/faults/registry.js";
import { orderedFaults, walkFaults } from "../../controller/faults/timeline.js";
import { rateBits } from "../../controller/faults/kinds/shaping.js";
import type { FaultSpec, Lab } from "../../controller/lab/types.js";

const lab = (faults: Record<string, FaultSpec>): Lab =>
  ({
    name: "t",
    networks: { lan: { subnet: "198.18.9.0/24" } },
    nodes: { a: { interfaces: { lan: "198.18.9.10" } }, b: { interfaces: { lan: "198.18.9.11" } } },
    faults,
  }) as unknown as Lab;
const problems = (faults: Record<string, FaultSpec>) => walkFaults(lab(faults)).flatMap((s) => (s.problem ? [`${s.name}: ${s.problem.key}: ${s.problem.message} | ${s.problem.hint}`] : []));

t.test("actions: no action is a node's", async (t) => {
  t.notOk(isNodeAction(undefined), "no action is not a node action");
  t.notOk(isNodeAction("down"), "down is an interface's");
  t.ok(isNodeAction("restart"), "restart is a node's");
});

t.test("the walk: faults with a time, one kind and a known node", async (t) => {
  t.same(
    orderedFaults(lab({ later: { at: "2s", node: "a", action: "stop" }, never: { at: "soon", node: "a", action: "stop" }, first: { at: 1000, node: "a", action: "stop" } })).map((f) => f.name),
    ["first", "later"],
    "a time that does not parse is left out; the rest in time order",
  );
  t.same(
    walkFaults(lab({ two: { at: "1s", node: "a", network: "lan", loss: 5, rate: "1mbit" }, ghost: { at: "1s", node: "zz", action: "stop" }, ok: { at: "1s", node: "a", action: "stop" } })).map(
      (s) => s.name,
    ),
    ["ok"],
    "a fault with two kinds, or on a node the lab lacks, is not walked (validation reports it)",
  );
  const [exec] = walkFaults(lab({ e: { at: "1s", node: "a", exec: ["true"] } }));
  t.equal(exec?.before, undefined, "a fault that is not on an interface has no interface state");
});

t.test("node actions refused: the words for each condition", async (t) => {
  t.same(
    problems({ s1: { at: "1s", node: "a", action: "stop" }, s2: { at: "2s", node: "a", action: "stop" } }),
    [`s2: action: stop of node "a" at 2000 ms, which is stopped (by fault s1) | it is stopped already; remove this fault or start it in between`],
    "a second stop names the first",
  );
  t.same(
    problems({ go: { at: "1s", node: "a", action: "start" } }),
    [`go: action: start of node "a" at 1000 ms, which is running | a start follows a stop: stop the node with an earlier fault (action: stop), or use restart`],
    "running from the start: no fault named",
  );
  t.same(
    problems({ s: { at: "1s", node: "a", action: "stop" }, r: { at: "2s", node: "a", action: "restart" } }),
    [`r: action: restart of node "a" at 2000 ms, which is stopped (by fault s) | the node is stopped: use start`],
    "restart of a stopped node",
  );
  t.same(
    problems({ p: { at: "1s", node: "a", action: "pause" }, r: { at: "2s", node: "a", action: "restart" } }),
    [`r: action: restart of node "a" at 2000 ms, which is paused (by fault p) | unpause it first`],
    "restart of a paused node",
  );
  t.same(
    problems({ s: { at: "1s", node: "a", action: "stop" }, p: { at: "2s", node: "a", action: "pause" } }),
    [`p: action: pause of node "a" at 2000 ms, which is stopped (by fault s) | the node is stopped: start it first`],
    "pause of a stopped node",
  );
  t.same(
    problems({ p1: { at: "1s", node: "a", action: "pause" }, p2: { at: "2s", node: "a", action: "pause" } }),
    [`p2: action: pause of node "a" at 2000 ms, which is paused (by fault p1) | it is paused already`],
    "pause of a paused node",
  );
});

t.test("a start or restart wipes that node's interface faults, and only its", async (t) => {
  t.same(
    problems({ l: { at: "1s", node: "a", network: "lan", loss: 5 }, r: { at: "2s", node: "a", action: "restart" }, c: { at: "3s", node: "a", network: "lan", action: "clear" } }),
    [`c: action: clear at 3000 ms, but a's interface on lan has no loss, rate or delay then | clear follows a fault with loss, rate or delay on the same node and network`],
    "after a restart there is nothing to clear",
  );
  t.same(
    problems({ l: { at: "1s", node: "b", network: "lan", loss: 5 }, r: { at: "2s", node: "a", action: "restart" }, c: { at: "3s", node: "b", network: "lan", action: "clear" } }),
    [],
    "another node's loss is still there to clear",
  );
  t.same(
    problems({
      l: { at: "1s", node: "a", network: "lan", loss: 5 },
      p: { at: "2s", node: "a", action: "pause" },
      u: { at: "3s", node: "a", action: "unpause" },
      c: { at: "4s", node: "a", network: "lan", action: "clear" },
    }),
    [],
    "a pause and unpause keep the kernel state: the loss is there to clear",
  );
});

t.test("a partition with a node that is not running: refused as the partition's problem", async (t) => {
  const [step] = walkFaults(lab({ s: { at: "1s", node: "a", action: "stop" }, cut: { at: "2s", partition: [["a"], ["b"]] } })).filter((s) => s.problem);
  t.same(
    step?.problem,
    { key: "partition", message: `node "a" is stopped at 2000 ms (by fault s)`, hint: "start it first with an earlier fault, or move this fault" },
    "the stopped member, under the partition's key",
  );
  t.same(problems({ cut: { at: "2s", partition: [["a", "zz"], ["b"]] } }), [], "a member the lab lacks is not a stopped one (validation reports it)");
});

t.test("interface state across steps", async (t) => {
  t.same(
    problems({ d1: { at: "1s", node: "a", network: "lan", action: "down" }, u: { at: "2s", node: "a", network: "lan", action: "up" }, d2: { at: "3s", node: "a", network: "lan", action: "down" } }),
    [],
    "down, up, down again",
  );
  t.same(
    problems({ d: { at: "1s", node: "a", network: "lan", delay: "20ms" }, r: { at: "2s", node: "a", network: "lan", rate: "1mbit" } }),
    [`r: rate: rate at 2000 ms, while a's interface on lan has a delay | one root qdisc per interface: clear the delay first (action: clear)`],
    "a rate over a delay",
  );
  t.same(problems({ d: { at: "1s", node: "a", network: "lan", delay: "20ms" } }), [], "a delay alone is fine");
  t.same(
    problems({ d: { at: "1s", node: "a", network: "lan", delay: "20ms" }, r: { at: "2s", node: "a", network: "lan", rate: "1mbit" }, d2: { at: "3s", node: "a", network: "lan", delay: "30ms" } }).map(
      (p) => p.split(":")[0],
    ),
    ["r"],
    "a refused rate leaves no rate behind: a later delay is fine",
  );
  const steps = walkFaults(
    lab({ l: { at: "1s", node: "a", network: "lan", loss: 5 }, r: { at: "2s", node: "a", network: "lan", rate: "1mbit" }, c: { at: "3s", node: "a", network: "lan", action: "clear" } }),
  );
  t.same(
    steps.map((s) => s.before),
    [{ down: false }, { down: false, loss: 5 }, { down: false, loss: 5, rate: "1mbit" }],
    "what each step finds",
  );
});

t.test("tc rates in bits per second", async (t) => {
  t.equal(rateBits("1.5mbit"), 1.5e6, "a decimal");
  t.equal(rateBits("1.25mbit"), 1.25e6, "two decimals");
  t.equal(rateBits("10kbit"), 1e4, "two digits");
  t.equal(rateBits("2mbps"), 1.6e7, "bytes per second are 8 bits");
  t.equal(rateBits("0.5bit"), 0.5, "more than zero, however small");
  t.equal(rateBits("0bit"), undefined, "zero is no rate");
  t.equal(rateBits("x1mbit"), undefined, "nothing before the number");
  t.equal(rateBits("1mbitx"), undefined, "nothing after the unit");
  t.equal(rateBits("1.mbit"), undefined, "a point needs digits after it");
});
