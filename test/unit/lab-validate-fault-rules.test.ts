// validateLab's rules for faults and for the phases and timed kinds that name them, on labs built
// in code: each finding's path, message and hint exactly, and the labs at each rule's edge that
// give none (issue 12: surviving mutants of controller/lab/validate.ts, faults and phases).
import t from "tap";
import { validateLab } from "../../controller/lab/validate.js";
import type { EndpointSpec, ExpectationSpec, FaultSpec, Lab } from "../../controller/lab/types.js";

const findings = (lab: Lab) => validateLab(lab).map((f) => ({ at: f.at.join("."), message: f.message, hint: f.hint }));

/** A client on lan, a router r1 on lan and wan, a server on wan, a node with no interface; the rest given. */
const lab = (parts: { faults?: Record<string, Partial<FaultSpec>>; traffic?: Record<string, EndpointSpec>; expect?: unknown[]; settings?: Lab["settings"] }): Lab =>
  ({
    name: "faults",
    networks: { lan: { subnet: "198.18.1.0/24" }, wan: { subnet: "198.18.2.0/24" } },
    nodes: {
      client: { interfaces: { lan: "198.18.1.10" } },
      r1: { forward: true, interfaces: { lan: "198.18.1.2", wan: "198.18.2.2" } },
      server: { interfaces: { wan: "198.18.2.10" } },
      lonely: { interfaces: {} },
    },
    ...(parts.traffic ? { traffic: parts.traffic } : {}),
    ...(parts.expect ? { expect: parts.expect as ExpectationSpec[] } : {}),
    ...(parts.faults ? { faults: parts.faults as Record<string, FaultSpec> } : {}),
    ...(parts.settings ? { settings: parts.settings } : {}),
  }) as Lab;

const faults = (f: Record<string, Partial<FaultSpec>>, settings?: Lab["settings"]) => findings(lab({ faults: f, ...(settings ? { settings } : {}) }));

const AGENTS: Record<string, EndpointSpec> = {
  feed: { node: "server", socket: "pub", bind: "tcp://198.18.2.10:5556", send: { count: 10 } },
  reader: { node: "client", socket: "sub", connect: "tcp://198.18.2.10:5556" },
} as Record<string, EndpointSpec>;

/** A partition in force from 1 s, for a heal to end. */
const SPLIT: Partial<FaultSpec> = { at: "1s", partition: [["client"], ["server"]] };

const NO_NODE = (at: string, name: string) => ({ at, message: `no node "${name}" in this lab`, hint: "nodes: client, r1, server, lonely" });

t.test("a fault's time against the traffic bound", async (t) => {
  t.test("exactly at the default bound is past it", async (t) => {
    t.same(faults({ f: { at: 60000, node: "r1", action: "stop" } }), [
      { at: "faults.f.at", message: "60000 ms is past the traffic phase's bound (settings.trafficTimeout, 60000 ms)", hint: "raise settings.trafficTimeout, or move the fault earlier" },
    ]);
  });
  t.test("a millisecond before it is fine", async (t) => {
    t.same(faults({ f: { at: 59999, node: "r1", action: "stop" } }), []);
  });
  t.test("exactly at a set bound is past it", async (t) => {
    t.same(faults({ f: { at: "5s", node: "r1", action: "stop" } }, { trafficTimeout: 5000 }), [
      { at: "faults.f.at", message: "5000 ms is past the traffic phase's bound (settings.trafficTimeout, 5000 ms)", hint: "raise settings.trafficTimeout, or move the fault earlier" },
    ]);
  });
});

t.test("a fault's node", async (t) => {
  t.test("a name like none of them lists the lab's nodes", async (t) => {
    t.same(faults({ f: { at: "1s", node: "backup", action: "stop" } }), [NO_NODE("faults.f.node", "backup")]);
  });
  t.test("an unknown node with a network: only the node is reported", async (t) => {
    t.same(faults({ f: { at: "1s", node: "backup", network: "lan", action: "down" } }), [NO_NODE("faults.f.node", "backup")]);
  });
  t.test("an unknown node named in two sets of a partition is not also in two sets", async (t) => {
    t.same(
      faults({
        f: {
          at: "1s",
          partition: [
            ["client", "backup"],
            ["server", "backup"],
          ],
        },
      }),
      [NO_NODE("faults.f.partition.0.1", "backup"), NO_NODE("faults.f.partition.1.1", "backup")],
    );
  });
  t.test("a node action without a node asks for the node only", async (t) => {
    t.same(faults({ f: { at: "1s", action: "stop" } }), [{ at: "faults.f", message: "action stop without a node", hint: "name the node: node: r1" }]);
  });
  t.test("an interface fault without a node asks for the node and its network", async (t) => {
    t.same(faults({ f: { at: "1s", loss: 10 } }), [{ at: "faults.f", message: "loss without a node", hint: "name the node and its network: node: r1, network: servers" }]);
  });
  t.test("heal takes no node", async (t) => {
    t.same(faults({ split: SPLIT, f: { at: "2s", node: "r1", action: "heal" } }), [
      { at: "faults.f.node", message: "action heal takes no node", hint: "heal ends the partition in force on every node it touched" },
    ]);
  });
});

t.test("a fault's network", async (t) => {
  t.test("an interface action on a node without interfaces has no network to suggest", async (t) => {
    t.same(faults({ f: { at: "1s", node: "lonely", action: "down" } }), [{ at: "faults.f", message: "action down without a network", hint: "name the interface by its network: network: NAME" }]);
  });
  t.test("heal takes no network", async (t) => {
    t.same(faults({ split: SPLIT, f: { at: "2s", network: "lan", action: "heal" } }), [{ at: "faults.f.network", message: "action heal takes no network", hint: "remove network" }]);
  });
  t.test("a network the node is not on, close to one of its own, is suggested", async (t) => {
    t.same(faults({ f: { at: "1s", node: "r1", network: "lna", loss: 10 } }), [{ at: "faults.f.network", message: 'node "r1" is not on network "lna"', hint: 'did you mean "lan"?' }]);
  });
  t.test("a network the node is not on, like none of its own, lists them", async (t) => {
    t.same(faults({ f: { at: "1s", node: "r1", network: "backbone", loss: 10 } }), [{ at: "faults.f.network", message: 'node "r1" is not on network "backbone"', hint: "its networks: lan, wan" }]);
  });
});

t.test("an unknown action is reported at action", async (t) => {
  t.same(faults({ f: { at: "1s", action: "explode" as FaultSpec["action"] } }), [
    { at: "faults.f.action", message: 'unknown action "explode"', hint: "stop, start, restart, pause, unpause, down, up, clear, heal" },
  ]);
});

t.test("a node in two sets of a partition names the sets from 1", async (t) => {
  t.same(
    faults({
      f: {
        at: "1s",
        partition: [
          ["client", "r1"],
          ["server", "client"],
        ],
      },
    }),
    [{ at: "faults.f.partition.1.1", message: 'node "client" is in two sets (1 and 2)', hint: "each node is in at most one set of a partition" }],
  );
});

t.test("phases and the timed kinds", async (t) => {
  const cut = { cut: { at: "1s", node: "r1", network: "wan", action: "down" } } as Record<string, Partial<FaultSpec>>;
  t.test("an unknown first fault of between is reported at between.0", async (t) => {
    t.same(findings(lab({ faults: cut, traffic: AGENTS, expect: [{ delivered: { endpoint: "reader", atLeast: 1, between: ["ghost", "cut"] } }] })), [
      { at: "expect.0.delivered.between.0", message: 'no fault "ghost" in this lab', hint: "faults: cut" },
    ]);
  });
  t.test("lost names an endpoint under traffic; a name like none lists them", async (t) => {
    t.same(findings(lab({ faults: cut, traffic: AGENTS, expect: [{ lost: { endpoint: "backup", atMost: 0, after: "cut" } }] })), [
      { at: "expect.0.lost.endpoint", message: 'no endpoint "backup" under traffic', hint: "endpoints: feed, reader" },
    ]);
  });
  t.test("reconnected names an endpoint under traffic", async (t) => {
    t.same(findings(lab({ faults: cut, traffic: AGENTS, expect: [{ reconnected: { endpoint: "backup", after: "cut" } }] })), [
      { at: "expect.0.reconnected.endpoint", message: 'no endpoint "backup" under traffic', hint: "endpoints: feed, reader" },
    ]);
  });
  t.test("recovered in a lab without traffic says there are none", async (t) => {
    t.same(findings(lab({ faults: cut, expect: [{ recovered: { endpoint: "reader", after: "cut", within: "5s" } }] })), [
      { at: "expect.0.recovered.endpoint", message: 'no endpoint "reader" under traffic', hint: "endpoints: (none)" },
    ]);
  });
  t.test("recovered given as data without an endpoint names the empty one", async (t) => {
    t.same(findings(lab({ faults: cut, traffic: AGENTS, expect: [{ recovered: { after: "cut", within: "5s" } }] })), [
      { at: "expect.0.recovered.endpoint", message: 'no endpoint "" under traffic', hint: "endpoints: feed, reader" },
    ]);
  });
  t.test("within is checked on recovered only, and only when given", async (t) => {
    t.same(
      findings(
        lab({
          faults: cut,
          traffic: AGENTS,
          expect: [
            { recovered: { endpoint: "reader", after: "cut" } },
            { lost: { endpoint: "reader", atMost: 0, after: "cut", within: "soon" } },
            { reconnected: { endpoint: "reader", after: "cut", within: "soon" } },
          ],
        }),
      ),
      [],
    );
    t.same(findings(lab({ faults: cut, traffic: AGENTS, expect: [{ recovered: { endpoint: "reader", after: "cut", within: "soon" } }] })), [
      { at: "expect.0.recovered.within", message: '"soon" is not a duration', hint: "ms as a number, or a string such as 1500ms or 5s" },
    ]);
  });
});
