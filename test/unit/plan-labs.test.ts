// Planning the repository's labs and a dual-stack lab: Docker networks and containers, and the
// per-node commands as argument lists. Tests run from the repository root.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { contains, parseAddress, parseSubnet, type Subnet } from "../../controller/lab/ip.js";
import { loadLab, parseLab } from "../../controller/lab/load.js";
import type { Lab } from "../../controller/lab/types.js";
import { planLab } from "../../controller/plan/plan.js";
import { LABEL_LAB, LABEL_NETWORK, LABEL_NODE } from "../../controller/engine/labels.js";
import { dockerNames, nodeLabels } from "../../controller/engine/naming.js";
import type { LabPlan, NodePlan } from "../../controller/plan/types.js";

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

function node(plan: LabPlan, name: string): NodePlan {
  const found = plan.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`test bug: no node ${name} in the plan`);
  return found;
}

const argvs = (n: NodePlan): string[][] => n.commands.map((c) => c.argv);

/** Every address the lab declares, as text. */
function labAddresses(lab: Lab): string[] {
  return Object.values(lab.nodes).flatMap((n) => Object.values(n.interfaces).flatMap((v) => ([] as string[]).concat(v)));
}

const FLOW_COUNTERS_V4 = [
  ["nft", "add", "table", "inet", "zmqlab"],
  ["nft", "add", "set", "inet", "zmqlab", "flows4", "{ type ipv4_addr . ipv4_addr; flags dynamic; counter; size 65536; }"],
  ["nft", "add", "chain", "inet", "zmqlab", "forward", "{ type filter hook forward priority -5; policy accept; }"],
  ["nft", "add", "rule", "inet", "zmqlab", "forward", "meta", "nfproto", "ipv4", "update", "@flows4", "{ ip saddr . ip daddr }"],
];
const DROP_DEFAULT_V4 = ["ip", "-4", "route", "flush", "exact", "0.0.0.0/0"];
const DROP_DEFAULT_V6 = ["ip", "-6", "route", "flush", "exact", "::/0"];

/** What holds for every plan: networks, labels, capabilities, ranges clear of lab addresses. */
function checkCommon(t: Tap, lab: Lab, plan: LabPlan): void {
  t.equal(plan.lab, lab.name);
  t.same(
    plan.networks.map((n) => n.name),
    Object.keys(lab.networks),
  );
  t.same(
    plan.nodes.map((n) => n.name),
    Object.keys(lab.nodes),
  );
  const addresses = labAddresses(lab).map((a) => parseAddress(a)!);
  const docker = dockerNames(plan);
  for (const network of plan.networks) {
    t.equal(docker.networks[network.name]!.name, `zmqlab-${lab.name}-${network.name}`);
    t.same(docker.networks[network.name]!.labels, { [LABEL_LAB]: lab.name, [LABEL_NETWORK]: network.name });
    t.same(docker.networks[network.name]!.options, { "com.docker.network.bridge.enable_ip_masquerade": "false" }, "no NAT out of the lab");
    for (const sub of [network.ipv4, network.ipv6]) {
      if (!sub) continue;
      const subnet = parseSubnet(sub.subnet) as Subnet;
      t.equal(parseAddress(sub.gateway)?.value, subnet.first + 1n, `${network.name}: gateway ${sub.gateway} is the first host`);
      t.ok(sub.ipRange, `${network.name}: has an IPRange`);
      const range = parseSubnet(sub.ipRange!) as Subnet;
      t.ok(range.first >= subnet.first && range.last <= subnet.last, `${network.name}: ${sub.ipRange} inside ${sub.subnet}`);
      t.notOk(contains(range, parseAddress(sub.gateway)!), `${network.name}: ${sub.ipRange} leaves out the gateway`);
      t.same(
        addresses.filter((a) => contains(range, a)),
        [],
        `${network.name}: ${sub.ipRange} holds no lab address`,
      );
    }
  }
  for (const n of plan.nodes) {
    t.equal(docker.nodes[n.name]!.name, `zmqlab-${lab.name}-${n.name}`);
    t.same(nodeLabels(plan, n), { [LABEL_LAB]: lab.name, [LABEL_NODE]: n.name });
    const spec = lab.nodes[n.name]!;
    // FRR's zebra refuses to start without CAP_SYS_ADMIN: routing nodes, and only they, get it.
    t.same(n.capabilities, ["NET_ADMIN", "NET_RAW", ...(spec.routing ? ["SYS_ADMIN"] : [])], `${n.name}: NET_ADMIN and NET_RAW only${spec.routing ? ", SYS_ADMIN for FRR" : ""}`);
    t.notOk("privileged" in n, `${n.name}: never privileged`);
    // A node built from its folder gets its tag when the image is built (up); the plan names the folder.
    t.equal(n.image, spec.image ?? (spec.build !== undefined ? `(built from ${spec.build})` : spec.routing ? "zmqlab/node-frr" : "zmqlab/node"), `${n.name}: its image`);
    t.equal(n.defaultImage, spec.image === undefined && spec.build === undefined, `${n.name}: zmqlab's own image only without image: or build:`);
    t.equal(n.build, spec.build, `${n.name}: the folder it is built from, if any`);
    t.same(n.commands[0]?.argv, DROP_DEFAULT_V4, `${n.name}: Docker's default route goes first`);
    for (const c of n.commands) {
      t.ok(Array.isArray(c.argv) && c.argv.length > 0 && c.argv.every((a) => typeof a === "string" && a.length > 0), `${n.name}: ${c.argv.join(" ")} is an argument list`);
      t.type(c.why, "string");
    }
    const forwards = lab.nodes[n.name]!.forward === true;
    t.equal(n.forward, forwards);
    t.equal(n.sysctls["net.ipv4.ip_forward"], forwards ? "1" : undefined, `${n.name}: ip_forward only on routers`);
    const counters = n.commands.filter((c) => c.argv[0] === "nft" && c.argv.includes("zmqlab"));
    t.equal(counters.length > 0, forwards, `${n.name}: flow counters only on routers`);
  }
  t.same(planLab(lab), plan, "planning is pure: the same lab gives the same plan");
}

t.test("labs/source-ip", async (t) => {
  const { lab } = loadLab("labs/source-ip");
  const plan = planLab(lab);
  checkCommon(t, lab, plan);

  t.test("networks", async (t) => {
    t.same(plan.networks, [
      { name: "clients", ipv4: { subnet: "198.18.1.0/24", gateway: "198.18.1.1", ipRange: "198.18.1.128/25" } },
      { name: "servers", ipv4: { subnet: "198.18.2.0/24", gateway: "198.18.2.1", ipRange: "198.18.2.128/25" } },
    ]);
  });

  t.test("client: two addresses, a policy rule and route per source", async (t) => {
    const client = node(plan, "client");
    t.same(client.interfaces, [{ network: "clients", ipv4: "198.18.1.10", addresses: ["198.18.1.10/24", "198.18.1.11/24"] }]);
    t.same(client.sysctls, {});
    t.same(argvs(client), [
      DROP_DEFAULT_V4,
      ["ip", "-4", "addr", "add", "198.18.1.11/24", "dev", "clients"],
      ["ip", "-4", "rule", "add", "from", "198.18.1.10", "table", "100", "priority", "1000"],
      ["ip", "-4", "rule", "add", "from", "198.18.1.11", "table", "101", "priority", "1001"],
      ["ip", "-4", "route", "replace", "198.18.2.0/24", "via", "198.18.1.2", "dev", "clients", "table", "100"],
      ["ip", "-4", "route", "replace", "198.18.2.0/24", "via", "198.18.1.3", "dev", "clients", "table", "101"],
    ]);
    t.same(client.rules, [
      { from: "198.18.1.10", table: "100", priority: 1000, family: 4 },
      { from: "198.18.1.11", table: "101", priority: 1001, family: 4 },
    ]);
    t.same(client.routes, [
      { to: "198.18.2.0/24", via: ["198.18.1.2"], table: "100", family: 4 },
      { to: "198.18.2.0/24", via: ["198.18.1.3"], table: "101", family: 4 },
    ]);
  });

  t.test("routers forward and count flows", async (t) => {
    for (const [name, clients, servers] of [
      ["r1", "198.18.1.2", "198.18.2.2"],
      ["r2", "198.18.1.3", "198.18.2.3"],
    ] as const) {
      const r = node(plan, name);
      t.same(r.sysctls, { "net.ipv4.ip_forward": "1" });
      t.same(
        r.interfaces.map((i) => [i.network, i.ipv4, i.addresses]),
        [
          ["clients", clients, [`${clients}/24`]],
          ["servers", servers, [`${servers}/24`]],
        ],
      );
      t.same(argvs(r), [DROP_DEFAULT_V4, ...FLOW_COUNTERS_V4]);
      t.same(r.routes, []);
      t.same(r.rules, []);
    }
  });

  t.test("server: host routes back through each router", async (t) => {
    const server = node(plan, "server");
    t.same(server.sysctls, {});
    t.same(argvs(server), [
      DROP_DEFAULT_V4,
      ["ip", "-4", "addr", "add", "198.18.2.11/24", "dev", "servers"],
      ["ip", "-4", "route", "add", "198.18.1.10/32", "via", "198.18.2.2", "dev", "servers"],
      ["ip", "-4", "route", "add", "198.18.1.11/32", "via", "198.18.2.3", "dev", "servers"],
    ]);
    t.same(server.routes, [
      { to: "198.18.1.10/32", via: ["198.18.2.2"], table: "main", family: 4 },
      { to: "198.18.1.11/32", via: ["198.18.2.3"], table: "main", family: 4 },
    ]);
    t.same(server.rules, []);
  });
});

t.test("labs/ecmp", async (t) => {
  const { lab } = loadLab("labs/ecmp");
  const plan = planLab(lab);
  checkCommon(t, lab, plan);

  t.test("networks", async (t) => {
    t.same(
      plan.networks.map((n) => [dockerNames(plan).networks[n.name]!.name, n.ipv4, n.ipv6]),
      [
        ["zmqlab-ecmp-clients", { subnet: "198.18.3.0/24", gateway: "198.18.3.1", ipRange: "198.18.3.128/25" }, undefined],
        ["zmqlab-ecmp-servers", { subnet: "198.18.4.0/24", gateway: "198.18.4.1", ipRange: "198.18.4.128/25" }, undefined],
      ],
    );
  });

  t.test("client: eight addresses, the hash policy and seed, one route with two next hops", async (t) => {
    const client = node(plan, "client");
    t.same(client.sysctls, { "net.ipv4.fib_multipath_hash_policy": "0", "net.ipv4.fib_multipath_hash_seed": "2544" });
    const extra = [11, 12, 13, 14, 15, 16, 17].map((i) => ["ip", "-4", "addr", "add", `198.18.3.${i}/24`, "dev", "clients"]);
    t.same(argvs(client), [
      DROP_DEFAULT_V4,
      ...extra,
      ["ip", "-4", "route", "add", "198.18.4.0/24", "nexthop", "via", "198.18.3.2", "dev", "clients", "nexthop", "via", "198.18.3.3", "dev", "clients"],
    ]);
    t.equal(client.interfaces[0]?.ipv4, "198.18.3.10", "Docker assigns the first address");
    t.equal(client.interfaces[0]?.addresses.length, 8);
    t.same(client.routes, [{ to: "198.18.4.0/24", via: ["198.18.3.2", "198.18.3.3"], table: "main", family: 4 }]);
    t.same(client.rules, []);
  });

  t.test("routers and server", async (t) => {
    for (const name of ["r1", "r2"]) {
      t.same(node(plan, name).sysctls, { "net.ipv4.ip_forward": "1" });
      t.same(argvs(node(plan, name)), [DROP_DEFAULT_V4, ...FLOW_COUNTERS_V4]);
    }
    const server = node(plan, "server");
    t.same(server.sysctls, {});
    t.same(argvs(server), [DROP_DEFAULT_V4, ["ip", "-4", "route", "add", "198.18.3.0/24", "via", "198.18.4.2", "dev", "servers"]]);
    t.same(server.routes, [{ to: "198.18.3.0/24", via: ["198.18.4.2"], table: "main", family: 4 }]);
  });
});

t.test("a dual-stack lab", async (t) => {
  const { lab } = parseLab(`
name: dual
networks:
  clients:
    subnet: [198.18.1.0/24, "2001:2:0:1::/64"]
  servers:
    subnet: [198.18.2.0/24, "2001:2:0:2::/64"]
nodes:
  client:
    hash: l4
    interfaces:
      clients: [198.18.1.10, "2001:2:0:1::10", "2001:2:0:1::11"]
    routes:
      - { to: "2001:2:0:2::/64", via: ["2001:2:0:1::2", "2001:2:0:1::3"] }
      - { to: "2001:2:0:2::/64", via: "2001:2:0:1::3", from: "2001:2:0:1::11" }
      - { to: 198.18.2.0/24, via: 198.18.1.2 }
  r1:
    forward: true
    interfaces:
      clients: [198.18.1.2, "2001:2:0:1::2"]
      servers: [198.18.2.2, "2001:2:0:2::2"]
  r2:
    forward: true
    interfaces:
      clients: [198.18.1.3, "2001:2:0:1::3"]
      servers: [198.18.2.3, "2001:2:0:2::3"]
  server:
    interfaces:
      servers: [198.18.2.10, "2001:2:0:2::10"]
    routes:
      - { to: default, via: "2001:2:0:2::2" }
      - { to: default, via: 198.18.2.2 }
`);
  const plan = planLab(lab);
  checkCommon(t, lab, plan);

  t.test("networks carry an IPv6 subnet plan", async (t) => {
    t.same(
      plan.networks.map((n) => n.ipv6),
      [
        { subnet: "2001:2:0:1::/64", gateway: "2001:2:0:1::1", ipRange: "2001:2:0:1:8000::/65" },
        { subnet: "2001:2:0:2::/64", gateway: "2001:2:0:2::1", ipRange: "2001:2:0:2:8000::/65" },
      ],
    );
  });

  t.test("client: IPv6 extra addresses without DAD, -6 routes and rules", async (t) => {
    const client = node(plan, "client");
    t.same(client.interfaces, [{ network: "clients", ipv4: "198.18.1.10", ipv6: "2001:2:0:1::10", addresses: ["198.18.1.10/24", "2001:2:0:1::10/64", "2001:2:0:1::11/64"] }]);
    t.same(client.sysctls, { "net.ipv4.fib_multipath_hash_policy": "1", "net.ipv6.fib_multipath_hash_policy": "1" });
    t.same(argvs(client), [
      DROP_DEFAULT_V4,
      DROP_DEFAULT_V6,
      ["ip", "-6", "addr", "add", "2001:2:0:1::11/64", "dev", "clients", "nodad"],
      ["ip", "-6", "rule", "add", "from", "2001:2:0:1::11", "table", "100", "priority", "1000"],
      ["ip", "-6", "route", "add", "2001:2:0:2::/64", "nexthop", "via", "2001:2:0:1::2", "dev", "clients", "nexthop", "via", "2001:2:0:1::3", "dev", "clients"],
      ["ip", "-6", "route", "replace", "2001:2:0:2::/64", "via", "2001:2:0:1::3", "dev", "clients", "table", "100"],
      ["ip", "-4", "route", "add", "198.18.2.0/24", "via", "198.18.1.2", "dev", "clients"],
    ]);
    t.same(client.rules, [{ from: "2001:2:0:1::11", table: "100", priority: 1000, family: 6 }]);
    t.same(client.routes, [
      { to: "2001:2:0:2::/64", via: ["2001:2:0:1::2", "2001:2:0:1::3"], table: "main", family: 6 },
      { to: "2001:2:0:2::/64", via: ["2001:2:0:1::3"], table: "100", family: 6 },
      { to: "198.18.2.0/24", via: ["198.18.1.2"], table: "main", family: 4 },
    ]);
  });

  t.test("routers forward both families and count both", async (t) => {
    const r1 = node(plan, "r1");
    t.same(r1.sysctls, { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" });
    t.same(argvs(r1), [
      DROP_DEFAULT_V4,
      DROP_DEFAULT_V6,
      FLOW_COUNTERS_V4[0],
      FLOW_COUNTERS_V4[1],
      ["nft", "add", "set", "inet", "zmqlab", "flows6", "{ type ipv6_addr . ipv6_addr; flags dynamic; counter; size 65536; }"],
      FLOW_COUNTERS_V4[2],
      FLOW_COUNTERS_V4[3],
      ["nft", "add", "rule", "inet", "zmqlab", "forward", "meta", "nfproto", "ipv6", "update", "@flows6", "{ ip6 saddr . ip6 daddr }"],
    ]);
  });

  t.test("server: a default route per family, replacing Docker's", async (t) => {
    const server = node(plan, "server");
    t.same(argvs(server), [
      DROP_DEFAULT_V4,
      DROP_DEFAULT_V6,
      ["ip", "-6", "route", "replace", "default", "via", "2001:2:0:2::2", "dev", "servers"],
      ["ip", "-4", "route", "replace", "default", "via", "198.18.2.2", "dev", "servers"],
    ]);
    t.same(
      server.routes.map((r) => [r.to, r.family, r.table]),
      [
        ["default", 6, "main"],
        ["default", 4, "main"],
      ],
    );
  });
});

t.test("IPv6 addresses are planned in the kernel's spelling", async (t) => {
  const { lab } = parseLab(`
name: spelling
networks:
  lan:
    subnet: [198.18.1.0/24, "2001:0002:0000:0001::/64"]
nodes:
  a:
    interfaces:
      lan: [198.18.1.10, "2001:2:0:1:0:0:0:10", "2001:0002:0:1::0011"]
    routes:
      - { to: "2001:2:0:0009:0::/64", via: "2001:2:0:1::0020" }
  b:
    interfaces:
      lan: [198.18.1.20, "2001:2:0:1::20"]
`);
  const a = node(planLab(lab), "a");
  t.same(a.interfaces[0]?.addresses, ["198.18.1.10/24", "2001:2:0:1::10/64", "2001:2:0:1::11/64"]);
  t.equal(a.interfaces[0]?.ipv6, "2001:2:0:1::10");
  t.same(a.routes, [{ to: "2001:2:0:9::/64", via: ["2001:2:0:1::20"], table: "main", family: 6 }]);
  t.same(argvs(a).slice(2), [
    ["ip", "-6", "addr", "add", "2001:2:0:1::11/64", "dev", "lan", "nodad"],
    ["ip", "-6", "route", "add", "2001:2:0:9::/64", "via", "2001:2:0:1::20", "dev", "lan"],
  ]);
});

t.test("commands from the lab stay argument lists", async (t) => {
  const { lab } = parseLab(`
name: run
networks:
  lan:
    subnet: 198.18.1.0/24
nodes:
  a:
    image: alpine:3.20
    interfaces:
      lan: 198.18.1.10
    run:
      - [nft, add, table, inet, "filter; rm -rf /"]
      - [sh, -c, "echo $(id) > /tmp/x && true"]
`);
  const a = node(planLab(lab), "a");
  t.equal(a.image, "alpine:3.20");
  t.equal(a.defaultImage, false);
  // Passed through unchanged and last, as lists: no shell ever sees them joined.
  t.same(argvs(a).slice(-2), [
    ["nft", "add", "table", "inet", "filter; rm -rf /"],
    ["sh", "-c", "echo $(id) > /tmp/x && true"],
  ]);
  t.same(
    a.commands.slice(-2).map((c) => c.why),
    ["from the lab file (run)", "from the lab file (run)"],
  );
  t.equal(planLab(lab, { image: "zmqlab/node:test" }).nodes[0]?.image, "alpine:3.20", "the lab's image wins over the default");
});

t.test("the default image can be chosen", async (t) => {
  const { lab } = loadLab("labs/source-ip");
  const plan = planLab(lab, { image: "zmqlab/node:abc123" });
  t.same(new Set(plan.nodes.map((n) => n.image)), new Set(["zmqlab/node:abc123"]));
  t.ok(plan.nodes.every((n) => n.defaultImage));
});

t.test("planning does not change the lab", async (t) => {
  const { lab } = loadLab("labs/ecmp");
  const before = structuredClone(lab);
  planLab(lab);
  t.same(lab, before);
});

t.test("every lab in labs/ loads and plans", async (t) => {
  for (const name of readdirSync("labs").filter((n) => existsSync(join("labs", n, "lab.yaml")))) {
    t.test(name, async (t) => {
      const { lab } = loadLab(join("labs", name));
      checkCommon(t, lab, planLab(lab));
    });
  }
});

t.test("two policy routes from one source share its table; the smallest seed is planned", async (t) => {
  const { lab } = parseLab(`
name: shared-table
networks:
  lan:
    subnet: 198.18.1.0/24
nodes:
  a:
    hash: l4
    hashSeed: 1
    interfaces:
      lan: [198.18.1.10, 198.18.1.11]
    routes:
      - { to: 198.18.2.0/24, via: 198.18.1.2, from: 198.18.1.10 }
      - { to: 198.18.3.0/24, via: 198.18.1.3, from: 198.18.1.10 }
      - { to: 198.18.4.0/24, via: 198.18.1.2, from: 198.18.1.11 }
  r:
    forward: true
    interfaces:
      lan: [198.18.1.2, 198.18.1.3]
`);
  const a = node(planLab(lab), "a");
  t.same(
    a.rules,
    [
      { from: "198.18.1.10", table: "100", priority: 1000, family: 4 },
      { from: "198.18.1.11", table: "101", priority: 1001, family: 4 },
    ],
    "one rule per source, not per route",
  );
  t.same(
    a.routes.map((r) => [r.to, r.table]),
    [
      ["198.18.2.0/24", "100"],
      ["198.18.3.0/24", "100"],
      ["198.18.4.0/24", "101"],
    ],
    "both routes from .10 in its table 100",
  );
  t.same(a.sysctls, { "net.ipv4.fib_multipath_hash_policy": "1", "net.ipv4.fib_multipath_hash_seed": "1" }, "hashSeed 1 is planned; l4 is policy 1");
  t.same(node(planLab(lab), "r").sysctls, { "net.ipv4.ip_forward": "1" }, "a router forwards IPv4 only in an IPv4 lab");
});
