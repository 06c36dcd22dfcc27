// `up` of a lab with dynamic routing (labs/failover) on the in-memory engine: it waits for OSPF
// (answered here from the plan, as FRR answers once converged), and an engine failure during
// that wait ends with exit 3 and nothing left. The engine runs no FRR: each node's answers are
// scripted.
import t from "tap";
import { dockerError, MemoryEngine, type Call } from "../../controller/engine/memory-runtime.js";
import { loadLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { SETTLE_MS } from "../../controller/provision/routing.js";
import { up } from "../../controller/provision/up.js";
import { outcome, step, WAIT } from "../support/memory.js";

const failover = loadLab("labs/failover");

/** A new engine whose OSPF nodes answer as converged FRR: every awaited neighbour Full, OSPF's routes in the kernel. */
function converged(): MemoryEngine {
  const engine = new MemoryEngine();
  for (const node of planLab(failover.lab).nodes) {
    const routing = node.routing;
    if (!routing) continue;
    const neighbours: Record<string, { ifaceAddress: string; nbrState: string }[]> = {};
    for (const a of routing.adjacencies) a.neighbours.forEach((n, i) => (neighbours[n] ??= []).push({ ifaceAddress: a.addresses[i]!, nbrState: "Full/DR" }));
    const via = routing.adjacencies[0]!.addresses[0]!;
    engine.script(node.name, ["vtysh", "-c", "show ip ospf neighbor json"], { exitCode: 0, stdout: JSON.stringify({ neighbors: neighbours }), stderr: "" });
    engine.script(node.name, ["ip", "-j", "-4", "route", "show"], (argv, kernel) => {
      const learned = routing.routes.map((r) => ({ dst: r.subnet, gateway: via, dev: "eth0", protocol: "ospf" }));
      return { exitCode: 0, stdout: JSON.stringify([...JSON.parse(kernel.showRoutes(4, false)), ...learned]), stderr: "" };
    });
  }
  return engine;
}

let clean: Call[] = [];

t.test("up waits for OSPF, then the lab is up; down leaves nothing", async (t) => {
  const engine = converged();
  const started = performance.now();
  const running = await up(failover, { runtime: engine.runtime(), wait: WAIT });
  t.ok(performance.now() - started >= SETTLE_MS, "it waited for the routes to hold still");
  t.ok(
    engine.calls.some((c) => c.subject.includes("vtysh -c show ip ospf neighbor json")),
    "it asked FRR",
  );
  const boots = engine.calls
    .filter((c) => c.op === "boot")
    .map((c) => c.subject)
    .sort();
  t.same(
    boots.map((s) => s.split(":").slice(0, 2).join(":")),
    ["client", "r1", "r2", "server"].map((n) => `node ${n}: zmqlab's configure script`),
    "as they start, by the configure script (which writes their FRR files)",
  );
  t.ok(
    boots.every((s) => s.endsWith("/usr/lib/frr/frrinit.sh start")),
    "FRR started last, once its files are written",
  );
  clean = [...engine.calls];
  await running.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("an engine error while waiting for OSPF: exit 3, nothing left", async (t) => {
  const first = clean.find((c) => c.op === "exec" && c.subject.includes("vtysh"));
  t.ok(first, "the clean run asked FRR");
  if (!first) return;
  const engine = converged().at(first.op, first.nth, { error: dockerError(409, `Container 0123 is not running`) });
  const result = await outcome(up(failover, { runtime: engine.runtime(), wait: WAIT }));
  t.notOk(result.ok, `up fails at ${step(first)}`);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "the container is not running");
  }
  t.same(engine.left(), [], "nothing left");
});
