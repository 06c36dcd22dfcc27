// Dynamic routing without Docker: `routing:` validated with located errors, FRR's configuration
// and start commands planned, kernel interface names put into it, OSPF neighbour state read and
// judged, and the message when adjacencies never form.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { loadLab, parseLab } from "../../controller/lab/load.js";
import { parseRoutes } from "../../controller/observe/kernel.js";
import { missingAdjacencies, missingRoutes, parseOspfNeighbours } from "../../controller/observe/ospf.js";
import { planLab } from "../../controller/plan/plan.js";
import { FRR_CONF, FRR_DAEMONS } from "../../controller/plan/routing.js";
import { adjacencyMessage } from "../../controller/provision/routing.js";
import { planText } from "../../controller/report/plan-text.js";
import { dockerNames } from "../../controller/engine/naming.js";
import { problemsIn } from "../support/problems.js";
import { scratchDir } from "../support/scratch.js";

/** Two routers between clients and servers, hosts running OSPF too (as labs/failover). */
const LAB = `name: ospf-test
networks:
  clients: { subnet: 198.19.60.0/24 }
  servers: { subnet: 198.19.61.0/24 }
  mgmt: { subnet: 198.19.62.0/24 }
nodes:
  client:
    interfaces: { clients: 198.19.60.10 }
    routing: { ospf: { networks: [clients] } }
  r1:
    forward: true
    interfaces: { clients: 198.19.60.2, servers: 198.19.61.2, mgmt: 198.19.62.2 }
    routing: { ospf: { networks: [clients, servers] } }
  r2:
    forward: true
    interfaces: { clients: 198.19.60.3, servers: 198.19.61.3 }
    routing: { ospf: { networks: [clients, servers], cost: { servers: 100 } } }
  server:
    interfaces: { servers: 198.19.61.10 }
    routing: { ospf: { networks: [servers] } }
  watcher:
    interfaces: { mgmt: 198.19.62.10 }
`;

function edit(text: string, from: string, to: string): string {
  if (text.split(from).length !== 2) throw new Error(`test bug: ${from} must occur once`);
  return text.replace(from, () => to);
}

/** The 1-based line where the one occurrence of `needle` starts. */
function lineOf(text: string, needle: string): number {
  if (text.split(needle).length !== 2) throw new Error(`test bug: ${JSON.stringify(needle)} must occur once`);
  return text.slice(0, text.indexOf(needle)).split("\n").length;
}

t.test("the lab as written is valid", async (t) => {
  t.same(problemsIn(LAB), []);
});

t.test("routing is validated with located errors, before any Docker call", async (t) => {
  // `line`: text on exactly one line of the edited lab, the line the problem must point at.
  // `line`: text that occurs once in the edited lab, where the problem must point.
  const cases: { name: string; from: string; to: string; path: string; line: string; message: RegExp; hint: RegExp }[] = [
    {
      name: "a network the node is not on",
      from: "routing: { ospf: { networks: [clients] } }",
      to: "routing: { ospf: { networks: [servers] } }",
      path: "nodes.client.routing.ospf.networks[0]",
      line: "[servers] } }\n  r1:",
      message: /"client" has no interface on network "servers"/,
      hint: /own networks: clients/,
    },
    {
      name: "a misspelt network",
      from: "routing: { ospf: { networks: [servers] } }",
      to: "routing: { ospf: { networks: [server] } }",
      path: "nodes.server.routing.ospf.networks[0]",
      line: "[server] }",
      message: /no interface on network "server"/,
      hint: /did you mean "servers"/,
    },
    {
      name: "a network twice",
      from: "routing: { ospf: { networks: [clients] } }",
      to: "routing: { ospf: { networks: [clients, clients] } }",
      path: "nodes.client.routing.ospf.networks[1]",
      line: "[clients, clients]",
      message: /listed twice/,
      hint: /once/,
    },
    {
      name: "a cost for a network without OSPF",
      from: "cost: { servers: 100 }",
      to: "cost: { mgmt: 100 }",
      path: "nodes.r2.routing.ospf.cost.mgmt",
      line: "cost: { mgmt: 100 }",
      message: /not among the OSPF networks/,
      hint: /clients, servers/,
    },
    {
      name: "a router that does not forward",
      from: "    forward: true\n    interfaces: { clients: 198.19.60.3",
      to: "    interfaces: { clients: 198.19.60.3",
      path: "nodes.r2.routing.ospf.networks",
      line: "cost: { servers: 100 }",
      message: /runs OSPF on 2 networks but does not forward/,
      hint: /forward: true on r2/,
    },
    {
      name: "both ospf and frr",
      from: "routing: { ospf: { networks: [servers] } }",
      to: "routing: { ospf: { networks: [servers] }, frr: ./frr.conf }",
      path: "nodes.server.routing.frr",
      line: "frr: ./frr.conf",
      message: /both ospf and frr/,
      hint: /Keep one/,
    },
    {
      name: "neither ospf nor frr",
      from: "routing: { ospf: { networks: [servers] } }",
      to: "routing: {}",
      path: "nodes.server.routing",
      line: "routing: {}",
      message: /neither ospf nor frr/,
      hint: /networks: \[clients, servers\]/,
    },
    {
      name: "routing with an image of one's own",
      from: "    interfaces: { servers: 198.19.61.10 }",
      to: "    image: alpine\n    interfaces: { servers: 198.19.61.10 }",
      path: "nodes.server.routing",
      line: "[servers] } }\n  watcher:",
      message: /routing with image/,
      hint: /node-frr/,
    },
    {
      name: "an unknown key",
      from: "routing: { ospf: { networks: [servers] } }",
      to: "routing: { ospf: { networks: [servers], area: 1 } }",
      path: "nodes.server.routing.ospf.area",
      line: "area: 1",
      message: /unknown key "area"/,
      hint: /networks, cost/,
    },
    {
      name: "a cost out of range",
      from: "cost: { servers: 100 }",
      to: "cost: { servers: 0 }",
      path: "nodes.r2.routing.ospf.cost.servers",
      line: "cost: { servers: 0 }",
      message: /must be >= 1/,
      hint: /schema/,
    },
  ];
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const text = edit(LAB, c.from, c.to);
      const problems = problemsIn(text);
      const problem = problems.find((p) => p.path === c.path);
      if (!problem) return void t.fail(`no problem at ${c.path}`, { found: problems });
      t.match(problem.message, c.message);
      t.match(problem.hint ?? "", c.hint);
      t.equal(problem.file, "lab.yaml", "names the file");
      t.equal(problem.line, lineOf(text, c.line), `points at the line of ${JSON.stringify(c.line)}`);
    });
  }
});

t.test("a raw frr.conf is relative to the lab file and must exist", async (t) => {
  const dir = scratchDir("zmqlab-frr-");
  const text = edit(LAB, "routing: { ospf: { networks: [servers] } }", "routing: { frr: ./server-frr.conf }");
  writeFileSync(join(dir, "lab.yaml"), text);
  const missing = problemsIn(text, join(dir, "lab.yaml"));
  t.equal(missing.length, 1, "one problem", { found: missing });
  t.equal(missing[0]?.path, "nodes.server.routing.frr");
  t.equal(missing[0]?.line, lineOf(text, "frr: ./server-frr.conf"));
  t.match(missing[0]?.message ?? "", /no file .*server-frr\.conf/);
  t.match(missing[0]?.hint ?? "", /relative to the lab file/);
  writeFileSync(join(dir, "server-frr.conf"), "router ospf\n");
  const { lab } = loadLab(dir);
  t.equal(lab.nodes.server!.routing!.frr, join(dir, "server-frr.conf"), "made absolute");
  const server = planLab(lab).nodes.find((n) => n.name === "server")!;
  const conf = server.files!.find((f) => f.path === FRR_CONF)!;
  t.equal(conf.source, join(dir, "server-frr.conf"), "planned from the file, read when it is written");
  t.equal(conf.content, undefined);
  t.ok(conf.kernelInterfaceNames, "its interface lines get kernel names too");
  t.match(server.files!.find((f) => f.path === FRR_DAEMONS)!.content!, /^bgpd=yes$/m, "every routing daemon: zmqlab cannot tell which the file uses");
  t.same(server.routing!.adjacencies, [], "nothing to wait for: zmqlab does not know what the file configures");
  // The file's node is no OSPF node zmqlab knows: the others on servers wait only for each other.
  t.same(
    planLab(lab)
      .nodes.find((n) => n.name === "r2")!
      .routing!.adjacencies.find((a) => a.network === "servers")!.neighbours,
    ["r1"],
  );
});

t.test("FRR's configuration, files and start commands are planned", async (t) => {
  const { lab } = parseLab(LAB);
  const plan = planLab(lab, { frrImage: "zmqlab/node-frr:abc", image: "zmqlab/node:def" });
  const node = (name: string) => plan.nodes.find((n) => n.name === name)!;
  const r1 = node("r1");
  t.equal(r1.image, "zmqlab/node-frr:abc", "routing nodes run the FRR flavour");
  t.equal(node("watcher").image, "zmqlab/node:def", "other nodes keep the node image");
  t.ok(r1.defaultImage, "the FRR flavour carries the agent");
  t.ok(r1.capabilities.includes("SYS_ADMIN"), "zebra asks for CAP_SYS_ADMIN");
  t.notOk(node("watcher").capabilities.includes("SYS_ADMIN"), "only routing nodes get it");
  t.equal(node("watcher").files, undefined);
  const conf = r1.files!.find((f) => f.path === FRR_CONF)!;
  t.ok(conf.kernelInterfaceNames);
  t.equal(conf.mode, 0o640);
  const text = conf.content!;
  t.match(text, /^router ospf\n ospf router-id 198\.19\.60\.2\n maximum-paths 16\n/m, "router id is the first address; ECMP on");
  t.match(text, /^interface clients\n ip ospf area 0\.0\.0\.0\n ip ospf hello-interval 1\n ip ospf dead-interval 3\n!/m, "clients in area 0 with fast timers");
  t.match(text, /^interface servers\n ip ospf area 0\.0\.0\.0\n/m);
  t.notMatch(text, /interface mgmt/, "no OSPF on a network not listed");
  t.notMatch(text, /point-to-point/, "three OSPF nodes on each network: broadcast");
  t.match(node("r2").files!.find((f) => f.path === FRR_CONF)!.content!, /^interface servers\n(?: .*\n)* ip ospf cost 100\n/m, "cost on servers");
  t.notMatch(node("r2").files!.find((f) => f.path === FRR_CONF)!.content!, /^interface clients\n(?: .*\n)* ip ospf cost/m, "no cost on clients");
  t.match(r1.files!.find((f) => f.path === FRR_DAEMONS)!.content!, /^ospfd=yes$/m);
  t.notMatch(r1.files!.find((f) => f.path === FRR_DAEMONS)!.content!, /bgpd=yes/);
  const argvs = r1.commands.map((c) => c.argv.join(" "));
  const start = argvs.indexOf("/usr/lib/frr/frrinit.sh start");
  t.ok(start > argvs.findIndex((a) => a.startsWith("nft add rule")), "FRR starts after the counters");
  t.ok(start > argvs.indexOf("find /run -path /run/frr/*.pid -delete"), "after stale pid files are cleared");
  t.ok(r1.commands.every((c) => c.why.length > 0));
  t.same(r1.routes, [], "no static routes of its own");
  t.same(r1.routing!.adjacencies, [
    { network: "clients", subnet: "198.19.60.0/24", neighbours: ["client", "r2"], addresses: ["198.19.60.10", "198.19.60.3"] },
    { network: "servers", subnet: "198.19.61.0/24", neighbours: ["r2", "server"], addresses: ["198.19.61.3", "198.19.61.10"] },
  ]);
  t.equal(node("watcher").routing, undefined);
  t.same(r1.routing!.routes, [], "r1 is on every OSPF network");
  t.same(node("client").routing!.routes, [{ network: "servers", subnet: "198.19.61.0/24" }], "the client awaits the server network's route");
  t.notOk(
    node("client").routing!.routes.some((r) => r.network === "mgmt"),
    "not mgmt: no OSPF there",
  );
  const dry = planText(plan, dockerNames(plan));
  t.match(dry, /file \/etc\/frr\/frr\.conf \(mode 640\)/, "the dry run shows the files");
  t.match(dry, /\| interface clients\n/);
  t.match(dry, /\/usr\/lib\/frr\/frrinit\.sh start   # start FRR/);
  t.match(dry, /then waits for a Full OSPF neighbour on servers \(OSPF there: r2, server\)/);
});

t.test("exactly two OSPF nodes on a network: point-to-point", async (t) => {
  const text = edit(edit(LAB, "routing: { ospf: { networks: [clients] } }", ""), "routing: { ospf: { networks: [servers] } }", "");
  const plan = planLab(parseLab(text).lab);
  const conf = plan.nodes.find((n) => n.name === "r1")!.files!.find((f) => f.path === FRR_CONF)!.content!;
  t.match(conf, /^interface clients\n(?: .*\n)* ip ospf network point-to-point\n/m);
  t.same(plan.nodes.find((n) => n.name === "client")!.routing, undefined);
  t.same(
    plan.nodes.find((n) => n.name === "r1")!.routing!.adjacencies.map((a) => a.neighbours),
    [["r2"], ["r2"]],
  );
});

// FRR's file gets the kernel's interface names as it is written: configure-script.test.ts.

const FRR_JSON = JSON.stringify({
  neighbors: {
    "198.19.60.3": [{ nbrState: "Full/DR", address: "198.19.60.3", ifaceAddress: "198.19.60.3", ifaceName: "eth0:198.19.60.2" }],
    "198.19.61.10": [{ nbrState: "Init/DROther", address: "198.19.61.10", ifaceAddress: "198.19.61.10", ifaceName: "eth1:198.19.61.2" }],
  },
});

t.test("FRR's neighbour JSON is read, and missing adjacencies are found by network", async (t) => {
  const neighbours = parseOspfNeighbours(FRR_JSON);
  t.same(neighbours, [
    { routerId: "198.19.60.3", address: "198.19.60.3", state: "Full/DR", interface: "eth0:198.19.60.2" },
    { routerId: "198.19.61.10", address: "198.19.61.10", state: "Init/DROther", interface: "eth1:198.19.61.2" },
  ]);
  t.same(parseOspfNeighbours("% OSPF instance not found"), [], "not JSON: no neighbours");
  t.same(parseOspfNeighbours("{}"), []);
  const awaited = [
    { network: "clients", subnet: "198.19.60.0/24", neighbours: ["r2"], addresses: ["198.19.60.3"] },
    { network: "servers", subnet: "198.19.61.0/24", neighbours: ["server"], addresses: ["198.19.61.10"] },
  ];
  t.same(missingAdjacencies(awaited, neighbours), [{ network: "servers", expected: ["server"], absent: ["server"], full: false, seen: ["198.19.61.10 Init/DROther"] }], "Init is not Full");
  const three = [{ ...awaited[0]!, neighbours: ["r2", "client"], addresses: ["198.19.60.3", "198.19.60.10"] }];
  t.same(
    missingAdjacencies(three, neighbours).map((m) => [m.network, m.absent, m.full]),
    [["clients", ["client"], true]],
    "a Full neighbour, but another OSPF node not seen yet",
  );
  const twoWay = parseOspfNeighbours(JSON.stringify({ neighbors: { ...JSON.parse(FRR_JSON).neighbors, "198.19.60.10": [{ nbrState: "2-Way/DROther", ifaceAddress: "198.19.60.10" }] } }));
  t.same(missingAdjacencies(three, twoWay), [], "2-Way with a DROther is enough once one neighbour is Full");
  t.same(
    missingAdjacencies(
      three.map((a) => ({ ...a, addresses: ["198.19.60.10"] })),
      parseOspfNeighbours(JSON.stringify({ neighbors: { x: [{ nbrState: "2-Way/DROther", ifaceAddress: "198.19.60.10" }] } })),
    ).map((m) => m.network),
    ["clients"],
    "2-Way alone is not enough",
  );
  t.same(
    missingAdjacencies(awaited, []).map((m) => m.network),
    ["clients", "servers"],
    "none: every network",
  );
  const full = parseOspfNeighbours(FRR_JSON.replace("Init/DROther", "Full/Backup"));
  t.same(missingAdjacencies(awaited, full), [], "one Full neighbour per network is enough");
  t.same(missingAdjacencies(awaited, parseOspfNeighbours(FRR_JSON.replace("Init/DROther", "Full/-"))), [], "point-to-point Full");
  t.same(
    missingAdjacencies(awaited, parseOspfNeighbours(FRR_JSON.replace("Full/DR", "2-Way/DROther").replace("Init/DROther", "Full/-"))).map((m) => m.network),
    ["clients"],
    "2-Way is not Full",
  );
});

t.test("routes the kernel lacks are found by subnet, main table only", async (t) => {
  const expected = [
    { network: "servers", subnet: "198.19.61.0/24" },
    { network: "far", subnet: "198.19.63.0/24" },
  ];
  const routes = parseRoutes(
    JSON.stringify([
      { dst: "198.19.60.0/24", dev: "eth0", protocol: "kernel" },
      { dst: "198.19.61.0/24", gateway: "198.19.60.2", dev: "eth0", protocol: "ospf" },
      { dst: "198.19.63.0/24", gateway: "198.19.60.3", dev: "eth0", table: "100" },
    ]),
  );
  t.same(missingRoutes(expected, routes), ["far"]);
  t.same(missingRoutes(expected, []), ["servers", "far"]);
});

t.test("the message when adjacencies never form names the node, network and FRR's state", async (t) => {
  const message = adjacencyMessage(
    [
      {
        node: "r2",
        missing: [{ network: "servers", expected: ["r1", "server"], absent: ["r1", "server"], full: false, seen: [] }],
        missingRoutes: ["far"],
        lastOutput: '{"neighbors":{}}',
        routes: "",
      },
    ],
    ["$ vtysh -c 'show watchfrr'\n  ospfd   Down"],
    30_000,
  );
  t.match(message, /OSPF did not converge within 30 s/);
  t.match(message, /r2: no route to far in its kernel/);
  t.match(message, /r2 on servers: r1, server not seen as OSPF neighbours, no Full neighbour \(OSPF nodes there: r1, server; r2 sees: none\)/);
  const partly = adjacencyMessage(
    [{ node: "r1", missing: [{ network: "clients", expected: ["client", "r2"], absent: ["r2"], full: true, seen: ["198.19.60.10 Full/DR"] }], missingRoutes: [], lastOutput: "", routes: "" }],
    [""],
    30_000,
  );
  t.match(partly, /r1 on clients: r2 not seen as OSPF neighbour \(OSPF nodes there: client, r2; r1 sees: 198\.19\.60\.10 Full\/DR\)/);
  t.notMatch(partly, /no Full neighbour/);
  t.notMatch(partly, /no route to/);
  t.match(message, /r2, last `vtysh -c 'show ip ospf neighbor json'`: \{"neighbors":\{\}\}/);
  t.match(message, /ospfd {3}Down/);
});
